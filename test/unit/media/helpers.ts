import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Raster } from '../../../src/media/types.ts';

const here = dirname(fileURLToPath(import.meta.url));
export const FIXTURES = join(here, '../../fixtures/media');
/** ../shared/data next to the repository; tests that need it skip only when it is absent. */
export const SHARED = join(here, '../../../../shared/data');
export const HAVE_SHARED = existsSync(SHARED);

export const fixture = (name: string): Buffer => readFileSync(join(FIXTURES, name));
export const shared = (path: string): Buffer => readFileSync(join(SHARED, path));

/** Mean absolute difference per channel value, 0..255. */
export function meanAbsDiff(a: Raster, b: Raster): number {
  if (a.width !== b.width || a.height !== b.height || a.channels !== b.channels) return 255;
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) sum += Math.abs((a.data[i] ?? 0) - (b.data[i] ?? 0));
  return sum / a.data.length;
}
