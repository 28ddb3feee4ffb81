import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TollgateError } from '../errors.ts';

/** Expands files and folders (recursively, skipping hidden entries) into a sorted list of files. */
export async function collectFiles(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => null);
    if (!info) throw new TollgateError('input.not_found', `no such file or folder: ${path}`);
    if (info.isDirectory()) files.push(...(await walk(path)));
    else if (info.isFile()) files.push(path);
  }
  return files;
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const out: string[] = [];
  // Code-point order: the same on every machine, whatever its locale.
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}
