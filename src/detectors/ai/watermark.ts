import type { Raster } from '../../media/types.ts';

/**
 * The invisible watermark Stable Diffusion reference scripts embed with the `invisible-watermark`
 * package, method `dwtDct` (our own implementation of the published algorithm):
 *
 * 1. RGB → YUV with OpenCV's 8-bit coefficients; only the U channel carries data (scales [0, 36, 36]
 *    applied to channels 0..1, so V is never touched).
 * 2. Crop to a multiple of 4, one-level Haar DWT; keep the LL band (each value = 2 × mean of a 2×2 pixel cell).
 * 3. Walk the LL band in 4×4 blocks, row-major. Block n carries payload bit n mod L. In each block the
 *    largest-magnitude coefficient other than the first is quantised with step 36: |c| → (⌊|c|/36⌋ + 0.25
 *    + 0.5·bit)·36. (Despite its name, the reference `dwtDct` quantises the LL coefficients directly;
 *    no DCT is applied in that variant, so neither do we — a decoder must match what was embedded.)
 * 4. Decoding reads bit = (|c| mod 36) > 18 for every block and votes per payload position.
 */

export const WATERMARK_SCALE = 36;
const BLOCK = 4;

export interface WatermarkPayload {
  name: string;
  bits: readonly number[];
}

function bytesToBits(bytes: Uint8Array): number[] {
  const bits: number[] = [];
  for (const b of bytes) for (let k = 7; k >= 0; k--) bits.push((b >> k) & 1);
  return bits;
}

function hexToBits(hex: string, length: number): number[] {
  const bits: number[] = [];
  const value = BigInt(`0x${hex}`);
  for (let k = length - 1; k >= 0; k--) bits.push(Number((value >> BigInt(k)) & 1n));
  return bits;
}

/** The payloads the Stability AI reference pipelines embed. */
export const SD_PAYLOADS: readonly WatermarkPayload[] = [
  { name: 'Stable Diffusion 1.x (StableDiffusionV1)', bits: bytesToBits(new TextEncoder().encode('StableDiffusionV1')) },
  { name: 'Stable Diffusion 2.x (SDV2)', bits: bytesToBits(new TextEncoder().encode('SDV2')) },
  { name: 'Stable Diffusion XL (0xB3EC907BB19E)', bits: hexToBits('B3EC907BB19E', 48) },
];

/**
 * OpenCV COLOR_RGB2YUV's U = round(0.492·(B − Y) + 128) with Y = 0.299·R + 0.587·G + 0.114·B, as one
 * table per channel: 0.492·(B − Y) = −0.147·R − 0.289·G + 0.436·B, with 128.5 in the blue table so that
 * truncating the sum rounds it. For every one of the 2²⁴ colours this gives the same integer as OpenCV's
 * order of operations (the unit tests check all of them); U stays within 17..239, so nothing needs clamping.
 */
const U_OF_R = channelTable(-0.492 * 0.299, 0);
const U_OF_G = channelTable(-0.492 * 0.587, 0);
const U_OF_B = channelTable(0.492 * (1 - 0.114), 128.5);

function channelTable(weight: number, offset: number): Float64Array {
  const table = new Float64Array(256);
  for (let v = 0; v < 256; v++) table[v] = weight * v + offset;
  return table;
}

/** U of the pixel at byte `i` (grey rasters: R = G = B). */
export function uAt(data: Uint8Array, i: number, channels: number): number {
  const r = data[i] ?? 0;
  const g = channels === 1 ? r : (data[i + 1] ?? 0);
  const b = channels === 1 ? r : (data[i + 2] ?? 0);
  return ((U_OF_R[r] ?? 0) + (U_OF_G[g] ?? 0) + (U_OF_B[b] ?? 0)) | 0;
}

/** U of `count` consecutive pixels from byte `start`, into `out`. */
function uRow(data: Uint8Array, start: number, count: number, channels: number, out: Int32Array): void {
  if (channels === 1) {
    for (let x = 0; x < count; x++) out[x] = uAt(data, start + x, 1);
    return;
  }
  for (let x = 0, i = start; x < count; x++, i += channels) {
    out[x] = ((U_OF_R[data[i] ?? 0] ?? 0) + (U_OF_G[data[i + 1] ?? 0] ?? 0) + (U_OF_B[data[i + 2] ?? 0] ?? 0)) | 0;
  }
}

/** The U plane, cropped to rows × cols. */
function uPlane(raster: Raster, rows: number, cols: number): Float32Array {
  const { width, channels, data } = raster;
  const u = new Float32Array(rows * cols);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) u[y * cols + x] = uAt(data, (y * width + x) * channels, channels);
  }
  return u;
}

/** Haar LL band: orthonormal 2-D Haar, so LL = (a + b + c + d) / 2. */
function haarLL(u: Float32Array, rows: number, cols: number): { ll: Float32Array; h: number; w: number } {
  const h = rows / 2;
  const w = cols / 2;
  const ll = new Float32Array(h * w);
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      const p = 2 * i * cols + 2 * j;
      ll[i * w + j] = ((u[p] ?? 0) + (u[p + 1] ?? 0) + (u[p + cols] ?? 0) + (u[p + cols + 1] ?? 0)) / 2;
    }
  }
  return { ll, h, w };
}

/** Position (in the LL band) of the largest-magnitude coefficient of a block, skipping the first. */
function maxPosition(ll: Float32Array, w: number, bi: number, bj: number): number {
  let best = -1;
  let bestAbs = -1;
  for (let k = 1; k < BLOCK * BLOCK; k++) {
    const idx = (bi * BLOCK + Math.floor(k / BLOCK)) * w + bj * BLOCK + (k % BLOCK);
    const a = Math.abs(ll[idx] ?? 0);
    if (a > bestAbs) {
      bestAbs = a;
      best = idx;
    }
  }
  return best;
}

function runnerUp(ll: Float32Array, w: number, bi: number, bj: number, skip: number): number {
  let best = 0;
  for (let k = 1; k < BLOCK * BLOCK; k++) {
    const idx = (bi * BLOCK + Math.floor(k / BLOCK)) * w + bj * BLOCK + (k % BLOCK);
    if (idx !== skip) best = Math.max(best, Math.abs(ll[idx] ?? 0));
  }
  return best;
}

/** Images the reference library refuses (fewer than 256×256 pixels) carry no watermark. */
export function watermarkCapable(width: number, height: number): boolean {
  return width * height >= 256 * 256;
}

/**
 * One 0/1 vote per 4×4 LL block, in embedding order. Reads the same LL values as haarLL(uPlane(…)),
 * a strip of four LL rows at a time, so a large photo never holds a full-size U plane.
 */
export function blockBits(raster: Raster): Uint8Array {
  const { width, channels, data } = raster;
  // LL is (⌊height/4⌋·2) × (⌊width/4⌋·2); whole 4×4 blocks of it cover ⌊height/8⌋ × ⌊width/8⌋.
  const bh = Math.floor(raster.height / 8);
  const bw = Math.floor(width / 8);
  const stripWidth = bw * BLOCK;
  const strip = new Float32Array(BLOCK * stripWidth);
  const upper = new Int32Array(2 * stripWidth);
  const lower = new Int32Array(2 * stripWidth);
  const votes = new Uint8Array(bh * bw);
  for (let bi = 0; bi < bh; bi++) {
    for (let r = 0; r < BLOCK; r++) {
      const y = 2 * (bi * BLOCK + r);
      uRow(data, y * width * channels, 2 * stripWidth, channels, upper);
      uRow(data, (y + 1) * width * channels, 2 * stripWidth, channels, lower);
      for (let j = 0; j < stripWidth; j++) {
        strip[r * stripWidth + j] = ((upper[2 * j] ?? 0) + (upper[2 * j + 1] ?? 0) + (lower[2 * j] ?? 0) + (lower[2 * j + 1] ?? 0)) / 2;
      }
    }
    for (let bj = 0; bj < bw; bj++) {
      const v = Math.abs(strip[maxPosition(strip, stripWidth, 0, bj)] ?? 0);
      votes[bi * bw + bj] = v % WATERMARK_SCALE > 0.5 * WATERMARK_SCALE ? 1 : 0;
    }
  }
  return votes;
}

/** Majority vote per payload position, as the reference decoder does (mean > 127/255). */
export function decodeBits(votes: Uint8Array, length: number): number[] {
  const ones = new Array<number>(length).fill(0);
  const counts = new Array<number>(length).fill(0);
  for (let n = 0; n < votes.length; n++) {
    const k = n % length;
    ones[k] = (ones[k] ?? 0) + (votes[n] ?? 0);
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return ones.map((o, k) => (o / Math.max(1, counts[k] ?? 1) > 127 / 255 ? 1 : 0));
}

export interface WatermarkMatch {
  payload: string;
  /** Fraction of payload bits decoded correctly (0.5 ≈ chance). */
  bitAccuracy: number;
  length: number;
}

/** Bit accuracy of every known payload; the caller decides the threshold. */
export function matchPayloads(raster: Raster, payloads: readonly WatermarkPayload[] = SD_PAYLOADS): WatermarkMatch[] {
  const votes = blockBits(raster);
  return payloads.map((p) => {
    const decoded = decodeBits(votes, p.bits.length);
    const correct = decoded.reduce((acc, bit, k) => acc + (bit === p.bits[k] ? 1 : 0), 0);
    return { payload: p.name, bitAccuracy: correct / p.bits.length, length: p.bits.length };
  });
}

/**
 * Embeds a payload (for tests and for measuring robustness). With the detail bands unchanged, moving
 * an LL coefficient by d moves each of its four U pixels by d/2; with Y and V fixed, OpenCV's inverse
 * (B = Y + 2.032·U', G = Y − 0.395·U' − 0.581·V') turns that into RGB changes.
 */
export function embedWatermark(raster: Raster, bits: readonly number[]): Raster {
  if (raster.channels < 3) throw new Error('watermark embedding needs an RGB raster');
  const rows = Math.floor(raster.height / 4) * 4;
  const cols = Math.floor(raster.width / 4) * 4;
  const { ll, h, w } = haarLL(uPlane(raster, rows, cols), rows, cols);
  const out = Uint8Array.from(raster.data);
  const bh = Math.floor(h / BLOCK);
  const bw = Math.floor(w / BLOCK);
  const clamp = (v: number): number => Math.min(255, Math.max(0, Math.round(v)));
  for (let bi = 0; bi < bh; bi++) {
    for (let bj = 0; bj < bw; bj++) {
      const pos = maxPosition(ll, w, bi, bj);
      const val = ll[pos] ?? 0;
      const bit = bits[(bi * bw + bj) % bits.length] ?? 0;
      let mag = (Math.floor(Math.abs(val) / WATERMARK_SCALE) + 0.25 + 0.5 * bit) * WATERMARK_SCALE;
      // The reference embedder may push the coefficient below its neighbours, after which the decoder reads
      // another, unmarked one. Same bit one step up keeps it the block maximum; the decoder cannot tell.
      if (mag <= runnerUp(ll, w, bi, bj, pos) + 2) mag += WATERMARK_SCALE;
      const du = ((val >= 0 ? mag : -mag) - val) / 2;
      const i = Math.floor(pos / w);
      const j = pos % w;
      for (const [dy, dx] of [[0, 0], [0, 1], [1, 0], [1, 1]] as const) {
        const p = ((2 * i + dy) * raster.width + 2 * j + dx) * raster.channels;
        out[p + 1] = clamp((out[p + 1] ?? 0) - 0.395 * du);
        out[p + 2] = clamp((out[p + 2] ?? 0) + 2.032 * du);
      }
    }
  }
  return { ...raster, data: out };
}
