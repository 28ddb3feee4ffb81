/** Small helpers shared by the evaluations. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Files under `dir` (recursively, sorted) whose name matches `pattern`. */
export function walk(dir: string, pattern: RegExp): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path, pattern) : pattern.test(name) ? [path] : [];
    });
}

/** The q-quantile of `values` (nearest rank, no interpolation); 0 for none. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

/** "12.5 % (1/8)"; "n/a" when there is nothing to count. */
export function pct(n: number, d: number, digits = 1): string {
  return d === 0 ? 'n/a' : `${((100 * n) / d).toFixed(digits)} % (${n}/${d})`;
}
