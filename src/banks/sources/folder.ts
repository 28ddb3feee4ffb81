import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { TollgateError } from '../../errors.ts';
import { checkMedia } from './media-check.ts';
import { DEFAULT_MAX_BYTES, type BankSourceOptions } from './options.ts';
import type { BankItem, BankSource } from './types.ts';

/** Code-point order, not locale order: the same folder must list the same way on every machine. */
const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * A folder of reference images and videos, walked recursively in sorted order. Only the names are
 * listed up front (for `total()` and a stable order); file contents are read one at a time as the
 * consumer asks, so a folder of 100 GB costs one file of memory.
 *
 * Hidden entries (dot files and dot folders: `.DS_Store`, `.git`, `._x.jpg` resource forks) are skipped.
 * Symlinked folders are not followed, so a link loop cannot make the walk endless; symlinked files are read.
 */
export class FolderSource implements BankSource {
  private listing: Promise<string[]> | undefined;
  private readonly maxBytes: number;

  constructor(
    private readonly root: string,
    options: BankSourceOptions = {},
  ) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  }

  describe(): string {
    return `folder ${this.root}`;
  }

  async total(): Promise<number> {
    return (await this.list()).length;
  }

  /** Relative paths with `/` separators, so keys are the same on Windows and POSIX. */
  private list(): Promise<string[]> {
    this.listing ??= this.walk();
    return this.listing;
  }

  private async walk(): Promise<string[]> {
    const out: string[] = [];
    const visit = async (rel: string): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await readdir(path.join(this.root, rel), { withFileTypes: true });
      } catch (err) {
        if (rel === '') throw new TollgateError('input.not_found', `cannot read folder ${this.root}`, { path: this.root }, { cause: err });
        return; // an unreadable subfolder is not worth failing the whole import over
      }
      entries.sort((a, b) => byCodePoint(a.name, b.name));
      for (const e of entries) {
        if (e.name.startsWith('.')) continue;
        const child = rel === '' ? e.name : `${rel}/${e.name}`;
        if (e.isDirectory()) await visit(child);
        else if (e.isFile()) out.push(child);
        else if (e.isSymbolicLink()) {
          const target = await stat(path.join(this.root, child)).catch(() => undefined);
          if (target?.isFile()) out.push(child);
        }
      }
    };
    await visit('');
    return out;
  }

  async *items(options: { signal?: AbortSignal; skipKeys?: ReadonlySet<string> } = {}): AsyncIterable<BankItem> {
    const { signal, skipKeys } = options;
    for (const rel of await this.list()) {
      signal?.throwIfAborted();
      if (skipKeys?.has(rel)) continue;
      yield await this.readOne(rel);
    }
  }

  private async readOne(rel: string): Promise<BankItem> {
    const full = path.join(this.root, ...rel.split('/'));
    try {
      // Size first: a 4 GB video in the folder must be refused, not read into memory.
      const st = await stat(full);
      if (st.size > this.maxBytes) return { kind: 'skipped', key: rel, reason: `${st.size} bytes exceeds the ${this.maxBytes}-byte limit` };
      const bytes = await readFile(full);
      const check = checkMedia(bytes);
      if (!check.ok) return { kind: 'skipped', key: rel, reason: check.reason };
      return { kind: 'media', key: rel, bytes, name: rel, mime: check.mime };
    } catch (err) {
      return { kind: 'skipped', key: rel, reason: `cannot read: ${err instanceof Error ? err.message : String(err)}` };
    }
  }
}
