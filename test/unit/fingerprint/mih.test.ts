import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hammingWords, wordsToHex } from '../../../src/fingerprint/bits.ts';
import { HammingIndex, type HammingMatch } from '../../../src/fingerprint/mih.ts';
import { chunkKey, flipMasks, planChunks } from '../../../src/fingerprint/mih-chunks.ts';

function brute(hashes: Map<number, Uint32Array>, q: Uint32Array, radius: number): HammingMatch[] {
  const out: HammingMatch[] = [];
  for (const [id, h] of hashes) {
    const d = hammingWords(q, 0, h, 0, h.length);
    if (d <= radius) out.push({ id, distance: d });
  }
  return out.sort((a, b) => a.distance - b.distance || a.id - b.id);
}

/** Random 32-bit words from a fast-check seed, so failures shrink to a reproducible seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

function flipBits(h: Uint32Array, n: number, next: () => number): Uint32Array {
  const out = Uint32Array.from(h);
  for (let k = 0; k < n; k++) {
    const b = next() % (h.length * 32);
    out[b >> 5] = (out[b >> 5]! ^ (1 << (b & 31))) >>> 0;
  }
  return out;
}

/**
 * Flips n bits spread evenly over the hash, so every chunk gets about n/m of them: the hard
 * case for the pigeonhole bound, where a match sits at the radius with no chunk exact.
 */
function flipSpread(h: Uint32Array, n: number, next: () => number): Uint32Array {
  const out = Uint32Array.from(h);
  const bits = h.length * 32;
  const offset = next() % bits;
  for (let k = 0; k < n; k++) {
    const b = (offset + Math.floor((k * bits) / n)) % bits;
    out[b >> 5] = (out[b >> 5]! ^ (1 << (b & 31))) >>> 0;
  }
  return out;
}

/** Random hashes plus clusters of near copies (what real duplicate data looks like). */
function dataset(bits: number, n: number, clustered: boolean, seed: number): Map<number, Uint32Array> {
  const next = rng(seed);
  const words = bits / 32;
  const m = new Map<number, Uint32Array>();
  const centres: Uint32Array[] = [];
  for (let i = 0; i < n; i++) {
    let h: Uint32Array;
    if (clustered && centres.length > 0 && next() % 4 !== 0) h = flipBits(centres[next() % centres.length]!, next() % 48, next);
    else {
      h = Uint32Array.from({ length: words }, () => next());
      centres.push(h);
    }
    m.set(i * 3 + 7, h);
  }
  return m;
}

// undefined = planned from size; the fixed ones include the 10 M layout (12 chunks of 21/22 bits
// straddling word boundaries), the upstream 16 × 16 and uneven splits.
const CHUNK_CHOICES: Record<number, Array<number | undefined>> = { 256: [undefined, 12, 16, 11, 13], 64: [undefined, 4, 5] };

describe('multi-index hashing', () => {
  it('splits hashes into disjoint chunks covering every bit', () => {
    for (const [bits, n] of [[256, 0], [256, 1e7], [64, 1e6], [256, 1000]] as const) {
      const p = planChunks(bits, n);
      expect(p.lens.reduce((a, b) => a + b, 0)).toBe(bits);
      for (let c = 1; c < p.count; c++) expect(p.starts[c]).toBe(p.starts[c - 1]! + p.lens[c - 1]!);
    }
    expect(planChunks(256, 1e7).count).toBe(11);
    expect(planChunks(256, 0, 16).lens.every((l) => l === 16)).toBe(true);
    const h = Uint32Array.from([0x12345678, 0x9abcdef0]);
    expect(chunkKey(h, 0, 0, 16)).toBe(0x1234);
    expect(chunkKey(h, 0, 24, 16)).toBe(0x789a);
    expect(chunkKey(h, 0, 28, 12)).toBe(0x89a);
    expect(flipMasks(16, 1)).toHaveLength(17);
    expect(flipMasks(22, 2)).toHaveLength(1 + 22 + 231);
  });

  for (const bits of [256, 64]) {
    for (const clustered of [false, true]) {
      it(`returns exactly the brute-force results for ${bits}-bit ${clustered ? 'clustered' : 'random'} data at radius 0..40`, () => {
        fc.assert(
          fc.property(fc.integer({ min: 1, max: 2 ** 31 }), fc.integer({ min: 1, max: 400 }), fc.constantFrom<'mih' | 'auto'>('mih', 'auto'), fc.boolean(), fc.constantFrom(...CHUNK_CHOICES[bits]!), (seed, n, strategy, rebuilt, chunks) => {
            const data = dataset(bits, n, clustered, seed);
            const ix = new HammingIndex({ bits, capacity: 8, strategy, chunks });
            for (const [id, h] of data) ix.add(id, wordsToHex(h));
            // Small adds stay in the tail lists; a rebuild moves them to the CSR tables.
            if (rebuilt) ix.rebuild();
            const next = rng(seed ^ 0x5bd1e995);
            const all = [...data.values()];
            for (let radius = 0; radius <= 40; radius++) {
              const kind = next() % 3;
              const base = all[next() % all.length]!;
              const q =
                kind === 0 ? flipSpread(base, Math.max(0, radius + (next() % 3) - 1), next) : kind === 1 ? flipBits(base, next() % 24, next) : Uint32Array.from({ length: bits / 32 }, () => next());
              expect(ix.searchWords(q, radius)).toEqual(brute(data, q, radius));
            }
          }),
          { numRuns: 15 },
        );
      }, 180_000);
    }
  }

  it('keeps results exact through removals, replacements and rebuilds (tail + tombstones)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 }), (seed) => {
        const next = rng(seed);
        const data = dataset(256, 6000, true, seed);
        const ix = new HammingIndex({ bits: 256, strategy: 'mih' });
        const ids = [...data.keys()];
        ix.addMany(ids.slice(0, 3000), concat(ids.slice(0, 3000).map((id) => data.get(id)!)));
        for (const id of ids.slice(3000)) ix.addWords(id, data.get(id)!);
        for (let k = 0; k < 1500; k++) {
          const id = ids[next() % ids.length]!;
          if (next() % 3 === 0) {
            const h = flipBits(data.get(id) ?? Uint32Array.from({ length: 8 }, () => next()), 5, next);
            data.set(id, h);
            ix.addWords(id, h);
          } else if (data.delete(id)) expect(ix.remove(id)).toBe(true);
          else expect(ix.remove(id)).toBe(false);
        }
        expect(ix.size).toBe(data.size);
        const all = [...data.values()];
        for (const radius of [0, 8, 31, 40]) {
          const q = flipBits(all[next() % all.length]!, 10, next);
          expect(ix.searchWords(q, radius)).toEqual(brute(data, q, radius));
        }
        ix.rebuild();
        const q = all[0]!;
        expect(ix.searchWords(q, 31)).toEqual(brute(data, q, 31));
      }),
      { numRuns: 4 },
    );
  });

  it('stays exact with a large base (16-bit tail chunks) and a tail of recent additions', () => {
    const data = dataset(256, 42_000, true, 99);
    const ids = [...data.keys()];
    const ix = new HammingIndex({ bits: 256 });
    ix.addMany(ids.slice(0, 40_000), concat(ids.slice(0, 40_000).map((id) => data.get(id)!)));
    for (const id of ids.slice(40_000)) ix.addWords(id, data.get(id)!);
    const next = rng(7);
    const all = [...data.values()];
    for (let k = 0; k < 40; k++) {
      const radius = [0, 15, 31, 40][k % 4]!;
      const q = flipSpread(all[next() % all.length]!, radius, next);
      expect(ix.searchWords(q, radius)).toEqual(brute(data, q, radius));
    }
  }, 120_000);

  it('bulk-loads (id, hex) pairs with addAll', () => {
    const data = dataset(64, 3000, true, 5);
    const ix = new HammingIndex({ bits: 64 });
    ix.addAll([...data].map(([id, h]) => [id, wordsToHex(h)] as const));
    expect(ix.size).toBe(3000);
    const q = data.get(7)!;
    expect(ix.searchWords(q, 10)).toEqual(brute(data, q, 10));
  });

  it('validates input', () => {
    const ix = new HammingIndex({ bits: 64 });
    expect(() => ix.add(1, 'abc')).toThrow();
    expect(() => ix.add(-1, '0123456789abcdef')).toThrow();
    expect(() => ix.search('0123456789abcdef', -1)).toThrow();
    ix.add(2 ** 40, '0123456789abcdef');
    expect(ix.search('0123456789abcdee', 1)).toEqual([{ id: 2 ** 40, distance: 1 }]);
    expect(ix.get(2 ** 40)).toBe('0123456789abcdef');
  });
});

function concat(hs: Uint32Array[]): Uint32Array {
  const out = new Uint32Array(hs.reduce((n, h) => n + h.length, 0));
  let o = 0;
  for (const h of hs) {
    out.set(h, o);
    o += h.length;
  }
  return out;
}
