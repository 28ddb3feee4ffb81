/** Chunk layout and neighbour enumeration for multi-index hashing (see mih.ts). */

export interface ChunkPlan {
  count: number;
  /** First bit of each chunk, counting from the most significant bit of word 0. */
  starts: Uint16Array;
  lens: Uint8Array;
}

/** Largest chunk we index: a 2^24-entry offset table is 64 MB per chunk. */
const MAX_CHUNK_BITS = 24;
/** Largest chunk chosen automatically: 12 × 2^22 offsets (200 MB) is the most a 10 M index can spend. */
const AUTO_MAX_CHUNK_BITS = 22;
/** Smallest: below this every table is tiny anyway and more chunks only add probes. */
const MIN_CHUNK_BITS = 8;

/**
 * m disjoint chunks covering `bits`, as even as possible. Without a fixed m, chunk width is
 * about log2(n) (clamped), the setting the MIH paper derives for near-empty buckets.
 */
export function planChunks(bits: number, n: number, fixed?: number): ChunkPlan {
  let count: number;
  if (fixed !== undefined) count = fixed;
  else {
    // log2(n) + 1.5 measured best at 1 M (m = 12: 0.5 ms vs 1.1 ms for m = 16 and 1.3 ms for m = 13):
    // buckets below one entry on average, so verification stops dominating the probes.
    const width = Math.min(AUTO_MAX_CHUNK_BITS, Math.max(MIN_CHUNK_BITS, Math.round(Math.log2(Math.max(2, n)) + 1.5)));
    count = Math.ceil(bits / width);
  }
  if (!Number.isInteger(count) || count < 1 || Math.ceil(bits / count) > MAX_CHUNK_BITS) {
    throw new RangeError(`cannot split ${bits} bits into ${count} chunks of at most ${MAX_CHUNK_BITS} bits`);
  }
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
