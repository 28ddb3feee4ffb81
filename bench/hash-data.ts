/**
 * Synthetic 256-bit hash sets and queries for the fingerprint benchmarks, seeded so every run of
 * a benchmark (and every index it compares) sees the same shapes of data.
 */
import { randomFillSync } from 'node:crypto';

export function randomWords(n: number): Uint32Array {
  const w = new Uint32Array(n);
  for (let o = 0; o < n; o += 1 << 16) randomFillSync(w.subarray(o, Math.min(n, o + (1 << 16))));
  return w;
}

let seed = 12345;
export const rand = (): number => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
};

export function flip(words: Uint32Array, off: number, nWords: number, bits: number): void {
  for (let k = 0; k < bits; k++) {
    const b = rand() % (nWords * 32);
    words[off + (b >> 5)] = (words[off + (b >> 5)]! ^ (1 << (b & 31))) >>> 0;
  }
}

/** Turns hashes [from, n) into groups of `size` near copies (0..24 bits flipped) of each group's first hash. */
function cluster(w: Uint32Array, from: number, n: number, size: number): void {
  for (let i = from; i < n; i++) {
    const centre = i - ((i - from) % size);
    if (centre === i) continue;
    w.copyWithin(i * 8, centre * 8, centre * 8 + 8);
    flip(w, i * 8, 8, rand() % 25);
  }
}

/** Clustered data: groups of `size` near copies around random centres. */
export function clusteredWords(n: number, size: number): Uint32Array {
  const w = randomWords(n * 8);
  cluster(w, 0, n, size);
  return w;
}

/** Half unrelated random hashes, half clustered groups of 10 near copies: the mix a bank of re-uploads holds. */
export function mixedWords(n: number): Uint32Array {
  const w = randomWords(n * 8);
  cluster(w, Math.floor(n / 2), n, 10);
  return w;
}

/** Queries: even ones near copies of stored hashes (0..19 bits flipped), odd ones unrelated random hashes. */
export function makeQueries(data: Uint32Array, n: number, nq: number): Uint32Array {
  const queries = new Uint32Array(nq * 8);
  for (let i = 0; i < nq; i++) {
    if (i % 2) randomFillSync(queries.subarray(i * 8, i * 8 + 8));
    else {
      const s = rand() % n;
      queries.set(data.subarray(s * 8, s * 8 + 8), i * 8);
      flip(queries, i * 8, 8, rand() % 20);
    }
  }
  return queries;
}
