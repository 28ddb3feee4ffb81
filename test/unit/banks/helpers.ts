import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BankItem, BankSource } from '../../../src/banks/sources/types.ts';

/** Real photos from the shared corpus (see its README for source and licence). */
export const PHOTOS_DIR = fileURLToPath(new URL('../../../../shared/data/object-photos/', import.meta.url));
export const HAVE_PHOTOS = existsSync(PHOTOS_DIR);

export function photo(name: string): Buffer {
  return readFileSync(`${PHOTOS_DIR}${name}`);
}

export async function collect(
  source: BankSource,
  options: { signal?: AbortSignal; skipKeys?: ReadonlySet<string> } = {},
): Promise<BankItem[]> {
  const out: BankItem[] = [];
  for await (const item of source.items(options)) out.push(item);
  return out;
}

export const byKey = (items: readonly BankItem[]): Map<string, BankItem> => new Map(items.map((i) => [i.key, i]));
