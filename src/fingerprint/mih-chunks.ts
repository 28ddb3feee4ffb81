/** Chunk layout and neighbour enumeration for multi-index hashing (see mih.ts). */

export interface ChunkPlan {
  count: number;
  /** First bit of each chunk, counting from the most significant bit of word 0. */
  starts: Uint16Array;
  lens: Uint8Array;
}

/** Largest chunk we index: a 2^24-entry offset table is 64 MB per chunk. */
const MAX_CHUNK_BITS = 24;
/** Smallest: below this every table is tiny anyway and more chunks only add probes. */
const MIN_CHUNK_BITS = 8;

/**
 * m disjoint chunks covering `bits`, as even as possible. Without a fixed m, the m with the
 * lowest estimated query cost at `radius` for n hashes: each probe is a bucket read and each
 * bucket holds n / 2^len candidates to verify, both mostly cache misses. Offset tables are
 * capped at 12 entries per hash so a small index stays small. Measured (docs/bench-fingerprint.md):
 * 10 M → m = 11 (23–24-bit chunks, 1.45 GB, 2.5× less CPU per query than m = 12); 1 M and
 * below → the upstream 16 × 16 bits.
 */
export function planChunks(bits: number, n: number, fixed?: number, radius = Math.round((bits * 31) / 256)): ChunkPlan {
  let count = fixed ?? 0;
  if (fixed === undefined) {
    let best = Infinity;
    const budget = Math.max(2 ** 20, 12 * n);
    for (let m = Math.ceil(bits / MAX_CHUNK_BITS); m <= Math.floor(bits / MIN_CHUNK_BITS); m++) {
      const lens = split(bits, m).lens;
      let cost = 0;
      let table = 0;
      for (const len of lens) {
        cost += binomialSum(len, Math.floor(radius / m)) * (1 + n / 2 ** len);
        table += 2 ** len;
      }
      if (table <= budget && cost < best) {
        best = cost;
        count = m;
      }
    }
  }
  if (!Number.isInteger(count) || count < 1 || Math.ceil(bits / count) > MAX_CHUNK_BITS) {
    throw new RangeError(`cannot split ${bits} bits into ${count} chunks of at most ${MAX_CHUNK_BITS} bits`);
  }
  return split(bits, count);
}

function split(bits: number, count: number): ChunkPlan {
  const starts = new Uint16Array(count);
  const lens = new Uint8Array(count);
  const base = Math.floor(bits / count);
  const extra = bits % count;
  for (let c = 0, at = 0; c < count; c++) {
    starts[c] = at;
    lens[c] = base + (c < extra ? 1 : 0);
    at += lens[c]!;
  }
  return { count, starts, lens };
}

/** Number of len-bit masks with at most f bits set. */
function binomialSum(len: number, f: number): number {
  let total = 0;
  let c = 1;
  for (let k = 0; k <= Math.min(f, len); k++) {
    total += c;
    c = (c * (len - k)) / (k + 1);
  }
  return total;
}

/** Bits [start, start+len) of the hash at `off` as an unsigned integer (len ≤ 24). */
export function chunkKey(h: Uint32Array, off: number, start: number, len: number): number {
  const w = off + (start >>> 5);
  const o = start & 31;
  let v = (h[w]! << o) >>> 0;
  if (o + len > 32) v = (v | (h[w + 1]! >>> (32 - o))) >>> 0;
  return v >>> (32 - len);
}

const maskCache = new Map<number, Uint32Array>();

/** Every len-bit mask with at most `flips` bits set, fewest flips first (cached). */
export function flipMasks(len: number, flips: number): Uint32Array {
  const f = Math.min(flips, len);
  const key = len * 64 + f;
  let masks = maskCache.get(key);
  if (!masks) {
    const out: number[] = [0];
    // Combinations in increasing popcount: extend each k-bit mask by a bit above its highest.
    let level = [{ mask: 0, next: 0 }];
    for (let k = 1; k <= f; k++) {
      const nextLevel: Array<{ mask: number; next: number }> = [];
      for (const { mask, next } of level) {
        for (let b = next; b < len; b++) {
          const m = (mask | (1 << b)) >>> 0;
          out.push(m);
          nextLevel.push({ mask: m, next: b + 1 });
        }
      }
      level = nextLevel;
    }
    masks = Uint32Array.from(out);
    maskCache.set(key, masks);
  }
  return masks;
}
