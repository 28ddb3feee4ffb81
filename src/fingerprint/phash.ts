/**
 * 64-bit pHash (DCT) and dHash (gradient), with the conventions of the widely used Python
 * `imagehash` package so hashes stored by other tools compare meaningfully: pHash keeps the
 * 8×8 lowest frequencies of a 32×32 DCT (DC included) and thresholds at their median; dHash
 * sets a bit where a pixel is darker than its right neighbour on a 9×8 thumbnail. Bits are
 * row-major, most significant first, 16 hex chars.
 */
import type { Raster } from '../media/types.ts';
import { bitsToHex } from './bits.ts';
import { lumaFromRaster } from './pdq.ts';

/**
 * Area-average resample of a float plane. Each output pixel is the mean of the input area it
 * covers (fractional edges weighted), which is what a thumbnail for a hash needs: no aliasing
 * on big downscales and no ringing that would move the median.
 */
export function resampleArea(src: Float32Array, w: number, h: number, outW: number, outH: number): Float32Array {
  if (w === outW && h === outH) return Float32Array.from(src);
  // The horizontal pass touches every source pixel, so it walks each output's input span directly
  // (no per-pixel weight objects); weights and summation order are the same as the vertical pass.
  const rowsOut = new Float64Array(h * outW);
  const xScale = w / outW;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let o = 0; o < outW; o++) {
      const a = o * xScale;
      const b = (o + 1) * xScale;
      const end = Math.min(w, Math.ceil(b));
      let sum = 0;
      for (let i = Math.floor(a); i < end; i++) {
        const cover = Math.min(b, i + 1) - Math.max(a, i);
        if (cover > 0) sum += src[row + i]! * (cover / xScale);
      }
      rowsOut[y * outW + o] = sum;
    }
  }
  const out = new Float32Array(outW * outH);
  for (const [o, i, f] of weights(h, outH)) {
    for (let x = 0; x < outW; x++) out[o * outW + x] = out[o * outW + x]! + rowsOut[i * outW + x]! * f;
  }
  return out;
}

/** (output index, input index, weight) triples of a 1-D area resample; weights of an output sum to 1. */
function weights(n: number, m: number): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  const scale = n / m;
  for (let o = 0; o < m; o++) {
    const a = o * scale;
    const b = (o + 1) * scale;
    for (let i = Math.floor(a); i < Math.min(n, Math.ceil(b)); i++) {
      const cover = Math.min(b, i + 1) - Math.max(a, i);
      if (cover > 0) out.push([o, i, cover / scale]);
    }
  }
  return out;
}

export function lumaThumbnail(r: Raster, w: number, h: number): Float32Array {
  return resampleArea(lumaFromRaster(r), r.width, r.height, w, h);
}

const N = 32;
// Unnormalised DCT-II basis: the scale of each coefficient cannot change which side of the
// median it falls on except through DC, and DC gets the same factor as its row and column.
const COS = new Float64Array(8 * N);
for (let k = 0; k < 8; k++) for (let x = 0; x < N; x++) COS[k * N + x] = Math.cos((Math.PI * k * (2 * x + 1)) / (2 * N));

function median(values: Float64Array): number {
  const s = Float64Array.from(values).sort();
  const m = s.length >> 1;
  return (s[m - 1]! + s[m]!) / 2;
}

/** pHash of a luma plane already at 32×32. */
export function phashFromLuma32(p: Float32Array): string {
  // Only the 8 lowest frequencies are needed along each axis: 8×32 then 8×8 products.
  const t = new Float64Array(8 * N);
  for (let u = 0; u < 8; u++) {
    for (let x = 0; x < N; x++) {
      let s = 0;
      for (let y = 0; y < N; y++) s += COS[u * N + y]! * p[y * N + x]!;
      t[u * N + x] = s;
    }
  }
  const c = new Float64Array(64);
  for (let u = 0; u < 8; u++) {
    for (let v = 0; v < 8; v++) {
      let s = 0;
      for (let x = 0; x < N; x++) s += t[u * N + x]! * COS[v * N + x]!;
      c[u * 8 + v] = s;
    }
  }
  const med = median(c);
  return bitsToHex(Array.from(c, (v) => (v > med ? 1 : 0)));
}

export function phash(r: Raster): string {
  return phashFromLuma32(lumaThumbnail(r, N, N));
}

/** dHash of a luma plane already at 9×8. */
export function dhashFromLuma9x8(p: Float32Array): string {
  const bits: number[] = [];
  for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) bits.push(p[y * 9 + x + 1]! > p[y * 9 + x]! ? 1 : 0);
  return bitsToHex(bits);
}

export function dhash(r: Raster): string {
  return dhashFromLuma9x8(lumaThumbnail(r, 9, 8));
}
