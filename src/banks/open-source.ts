/**
 * Which bank source a CLI/API spec names. Stand-in until src/banks/sources/index.ts
 * (openBankSource: folders, URL lists, WARC, hash CSV) lands: this one reads folders only, with a
 * minimal sorted walk, so bank imports work and are tested end to end meanwhile.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { TollgateError } from '../errors.ts';
import type { BankItem, BankSource } from './sources/types.ts';

export interface OpenSourceOptions {
  allowPrivateAddresses?: boolean;
  maxBytes?: number;
}

export async function openSource(spec: string, options: OpenSourceOptions = {}): Promise<BankSource> {
  const info = await stat(spec).catch(() => undefined);
  if (!info?.isDirectory()) throw new TollgateError('input.invalid', `bank source "${spec}": only folders are supported by this build`);
  return folderSource(spec, options.maxBytes ?? 50 * 1024 * 1024);
}

function folderSource(root: string, maxBytes: number): BankSource {
  let listing: Promise<string[]> | undefined;
  const list = (): Promise<string[]> => (listing ??= walk(root, ''));
  return {
    describe: () => `folder ${root}`,
    total: async () => (await list()).length,
    async *items({ signal, skipKeys }) {
      for (const key of await list()) {
        if (signal?.aborted) return;
        if (skipKeys?.has(key)) continue;
        const file = path.join(root, key);
        const size = (await stat(file)).size;
        const item: BankItem =
          size > maxBytes ? { kind: 'skipped', key, reason: `larger than ${maxBytes} bytes` } : { kind: 'media', key, bytes: await readFile(file), name: key };
        yield item;
      }
    },
  };
}

async function walk(root: string, rel: string): Promise<string[]> {
  const entries = await readdir(path.join(root, rel), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const key = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await walk(root, key)));
    else if (e.isFile()) out.push(key);
  }
  return out;
}
