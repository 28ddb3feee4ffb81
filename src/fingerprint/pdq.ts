/**
 * PDQ (Meta's 256-bit perceptual hash) following the published algorithm: RGB → float luma,
 * Jarosz tent filter (two X/Y passes of box filters) and decimation to 64×64, quality from the
 * image-domain gradient sum, a 16×16 slice of the 2-D DCT (frequencies 1..16, DC dropped), and
 * one bit per coefficient above the median.
 *
 * Upstream computes in 32-bit float and a few bits of the hash depend on how coefficients that
 * sit at the median round, so every arithmetic step here is rounded to float32 in the same
 * order as the reference (Float32Array stores and Math.fround). With identical pixels this
 * reproduces the reference hash bit for bit; see docs/pdq-conformance.md.
 */
import type { Raster } from '../media/types.ts';

/** Upstream excludes hashes below this quality from matching. */
export const PDQ_MIN_QUALITY = 50;
/** Hashes of images smaller than this on either side are all zero with quality 0, as upstream. */
export const PDQ_MIN_DIMENSION = 5;

export interface PdqHash {
  /** 64 hex chars, upstream's text format. */
  hash: string;
  /** 0..100; below PDQ_MIN_QUALITY the hash should not be matched. */
  quality: number;
}

/** Order of pdqDihedral's output, the same order as upstream's dihedral hasher. */
export const PDQ_DIHEDRAL_NAMES = ['original', 'rotate90', 'rotate180', 'rotate270', 'flipX', 'flipY', 'flipPlus1', 'flipMinus1'] as const;
export type PdqDihedralName = (typeof PDQ_DIHEDRAL_NAMES)[number];

const f32 = Math.fround;

// Per-channel products precomputed once: the reference rounds coefficient × value to float32
// before adding, so a table of rounded products is exact and saves two multiplies per pixel.
const LUMA_R = new Float32Array(256);
const LUMA_G = new Float32Array(256);
const LUMA_B = new Float32Array(256);
for (let v = 0; v < 256; v++) {
  LUMA_R[v] = f32(0.299) * v;
  LUMA_G[v] = f32(0.587) * v;
  LUMA_B[v] = f32(0.114) * v;
}

/** Float luma of a raster. Colour uses the BT.601 weights as upstream; alpha is ignored. */
export function lumaFromRaster(r: Raster): Float32Array {
  const n = r.width * r.height;
  const out = new Float32Array(n);
  const d = r.data;
  const c = r.channels;
  if (c === 1) {
    for (let i = 0; i < n; i++) out[i] = d[i]!;
    return out;
  }
  for (let i = 0, p = 0; i < n; i++, p += c) {
    out[i] = f32(LUMA_R[d[p]!]! + LUMA_G[d[p + 1]!]!) + LUMA_B[d[p + 2]!]!;
  }
  return out;
}

/** Upstream's window: ceil(old / (2·new)), half a target pixel per pass since there are two passes. */
export function jaroszWindowSize(oldDim: number, newDim: number): number {
  return Math.floor((oldDim + 2 * newDim - 1) / (2 * newDim));
}

/**
 * One box pass along each row, in place through `tmp`. The window is centred with the reference's
 * asymmetric split and shrinks at the edges (averaging only what is inside the image).
 */
function boxRows(src: Float32Array, dst: Float32Array, rows: number, cols: number, win: number): void {
  const half = (win + 2) >> 1;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let sum = 0;
    let count = 0;
    let ri = base;
    let li = base;
    let oi = base;
    for (let k = 0; k < half - 1; k++) {
      sum = f32(sum + src[ri++]!);
      count++;
    }
    for (let k = 0; k < win - half + 1; k++) {
      sum = f32(sum + src[ri++]!);
      count++;
      dst[oi++] = sum / count;
    }
    for (let k = 0; k < cols - win; k++) {
      sum = f32(f32(sum + src[ri++]!) - src[li++]!);
      dst[oi++] = sum / count;
    }
    for (let k = 0; k < half - 1; k++) {
      sum = f32(sum - src[li++]!);
      count--;
      dst[oi++] = sum / count;
    }
  }
}

/**
 * The same filter down the columns. Walking row by row with one running sum per column keeps
 * memory access sequential (a column walk on a 4000-px-wide image misses cache on every read)
 * while performing exactly the reference's float operations per column.
 */
function boxCols(src: Float32Array, dst: Float32Array, rows: number, cols: number, win: number): void {
  const half = (win + 2) >> 1;
  const sums = new Float32Array(cols);
  let count = 0;
  let ri = 0;
  let li = 0;
  let oi = 0;
  const addRow = (): void => {
    const b = ri * cols;
    for (let j = 0; j < cols; j++) sums[j] = sums[j]! + src[b + j]!;
    ri++;
  };
  const subRow = (): void => {
    const b = li * cols;
    for (let j = 0; j < cols; j++) sums[j] = sums[j]! - src[b + j]!;
    li++;
  };
  const writeRow = (): void => {
    const b = oi * cols;
    for (let j = 0; j < cols; j++) dst[b + j] = sums[j]! / count;
    oi++;
  };
  for (let k = 0; k < half - 1; k++) {
    addRow();
    count++;
  }
  for (let k = 0; k < win - half + 1; k++) {
    addRow();
    count++;
    writeRow();
  }
  for (let k = 0; k < rows - win; k++) {
    addRow();
    subRow();
    writeRow();
  }
  for (let k = 0; k < half - 1; k++) {
    subRow();
    count--;
    writeRow();
  }
}

/** One column of the box filter, the reference's float operations in its order, into `out`. */
function boxColumn(src: Float32Array, col: number, rows: number, cols: number, win: number, out: Float32Array): void {
  const half = (win + 2) >> 1;
  let sum = 0;
  let count = 0;
  let ri = col;
  let li = col;
  let oi = 0;
  for (let k = 0; k < half - 1; k++, ri += cols) {
    sum = f32(sum + src[ri]!);
    count++;
  }
  for (let k = 0; k < win - half + 1; k++, ri += cols) {
    sum = f32(sum + src[ri]!);
    count++;
    out[oi++] = sum / count;
  }
  for (let k = 0; k < rows - win; k++, ri += cols, li += cols) {
    sum = f32(f32(sum + src[ri]!) - src[li]!);
    out[oi++] = sum / count;
  }
  for (let k = 0; k < half - 1; k++, li += cols) {
    sum = f32(sum - src[li]!);
    count--;
    out[oi++] = sum / count;
  }
}

/**
 * Tent-filters `luma` (rows × cols) and samples the 64×64 pixel centres. Only 64 columns of the
 * last column pass are ever sampled, so that pass runs on those columns alone (each column is
 * independent, so the values are identical to filtering the whole image).
 */
export function downsampleTo64(luma: Float32Array, rows: number, cols: number, overwrite = false): Float32Array {
  const out = new Float32Array(64 * 64);
  if (rows === 64 && cols === 64) {
    out.set(luma);
    return out;
  }
  const winAlongRows = jaroszWindowSize(cols, 64);
  const winAlongCols = jaroszWindowSize(rows, 64);
  // `overwrite` lets callers that own the luma plane skip a full-image copy.
  const a = overwrite ? luma : Float32Array.from(luma);
  const b = new Float32Array(a.length);
  boxRows(a, b, rows, cols, winAlongRows);
  boxCols(b, a, rows, cols, winAlongCols);
  boxRows(a, b, rows, cols, winAlongRows);
  const column = new Float32Array(rows);
  for (let j = 0; j < 64; j++) {
    boxColumn(b, Math.floor(((j + 0.5) * cols) / 64), rows, cols, winAlongCols, column);
    for (let i = 0; i < 64; i++) out[i * 64 + j] = column[Math.floor(((i + 0.5) * rows) / 64)]!;
  }
  return out;
}

/** Upstream's heuristic: quantised absolute neighbour differences, summed and scaled to 0..100. */
export function pdqQuality(b64: Float32Array): number {
  let sum = 0;
  const step = (u: number, v: number): number => Math.abs(Math.trunc(f32(f32(f32(u - v) * 100) / 255)));
  for (let i = 0; i < 63; i++) for (let j = 0; j < 64; j++) sum += step(b64[i * 64 + j]!, b64[(i + 1) * 64 + j]!);
  for (let i = 0; i < 64; i++) for (let j = 0; j < 63; j++) sum += step(b64[i * 64 + j]!, b64[i * 64 + j + 1]!);
  return Math.min(100, Math.floor(sum / 90));
}

// Rows 1..16 of the orthonormal 64-point DCT-II basis; the DC row is skipped because the
// mean brightness carries no structure.
const DCT = new Float32Array(16 * 64);
{
  const scale = f32(Math.sqrt(2 / 64));
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 64; j++) DCT[i * 64 + j] = scale * Math.cos((Math.PI / 2 / 64) * (i + 1) * (2 * j + 1));
  }
}

/** B = D · A · Dᵀ for the 64×64 block A, giving 16×16 coefficients (row frequency major). */
export function dct64To16(a: Float32Array): Float32Array {
  const t = new Float32Array(16 * 64);
  for (let i = 0; i < 16; i++) {
    const di = i * 64;
    for (let j = 0; j < 64; j++) {
      let s = 0;
      for (let k = 0; k < 64; k++) s = f32(s + f32(DCT[di + k]! * a[k * 64 + j]!));
      t[di + j] = s;
    }
  }
  const out = new Float32Array(256);
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 16; j++) {
      let s = 0;
      for (let k = 0; k < 64; k++) s = f32(s + f32(t[i * 64 + k]! * DCT[j * 64 + k]!));
      out[i * 16 + j] = s;
    }
  }
  return out;
}

/** Bits: coefficient > lower median. Text: rows 15..0, each 16-bit row as 4 hex digits. */
export function pdqBitsToHex(coef: Float32Array): string {
  const sorted = Float32Array.from(coef).sort();
  const median = sorted[127]!;
  let hex = '';
  for (let i = 15; i >= 0; i--) {
    let row = 0;
    for (let j = 0; j < 16; j++) if (coef[i * 16 + j]! > median) row |= 1 << j;
    hex += row.toString(16).padStart(4, '0');
  }
  return hex;
}

export interface PdqFloat {
  /** 16×16 DCT coefficients before thresholding. */
  coefficients: Float32Array;
  quality: number;
}

/**
 * PDQ coefficients from a float luma plane; null when the image is too small to hash.
 * `overwrite`: the plane may be used as filter scratch space (it is left blurred).
 */
export function pdqFloatFromLuma(luma: Float32Array, rows: number, cols: number, overwrite = false): PdqFloat | null {
  if (rows < PDQ_MIN_DIMENSION || cols < PDQ_MIN_DIMENSION) return null;
  const b64 = downsampleTo64(luma, rows, cols, overwrite);
  return { coefficients: dct64To16(b64), quality: pdqQuality(b64) };
}

const ZERO_HASH = '0'.repeat(64);

export function pdqFromLuma(luma: Float32Array, rows: number, cols: number, overwrite = false): PdqHash {
  const f = pdqFloatFromLuma(luma, rows, cols, overwrite);
  return f ? { hash: pdqBitsToHex(f.coefficients), quality: f.quality } : { hash: ZERO_HASH, quality: 0 };
}

export function pdqFromRaster(r: Raster): PdqHash {
  return pdqFromLuma(lumaFromRaster(r), r.height, r.width, true);
}

// A flip of the image maps each DCT basis function onto itself up to sign: mirroring x negates
// odd column frequencies (even 0-based index j, since frequency = j + 1), mirroring y the rows,
// and a transpose swaps the axes. So all eight dihedral hashes come from one DCT.
// [transpose, negate where source row index is even, negate where source column index is even]
const DIHEDRAL: Record<PdqDihedralName, readonly [boolean, boolean, boolean]> = {
  original: [false, false, false],
  rotate90: [true, false, true],
  rotate180: [false, true, true],
  rotate270: [true, true, false],
  flipX: [false, true, false],
  flipY: [false, false, true],
  flipPlus1: [true, false, false],
  flipMinus1: [true, true, true],
};

export function dihedralCoefficients(a: Float32Array, name: PdqDihedralName): Float32Array {
  const [transpose, negRow, negCol] = DIHEDRAL[name];
  const b = new Float32Array(256);
  for (let i = 0; i < 16; i++) {
    for (let j = 0; j < 16; j++) {
      let v = a[i * 16 + j]!;
      if (negRow && (i & 1) === 0) v = -v;
      if (negCol && (j & 1) === 0) v = -v;
      b[transpose ? j * 16 + i : i * 16 + j] = v;
    }
  }
  return b;
}

/** The 8 dihedral variants (order PDQ_DIHEDRAL_NAMES) from a single filter + DCT. */
export function pdqDihedral(r: Raster): PdqHash[] {
  return pdqDihedralFromLuma(lumaFromRaster(r), r.height, r.width, true);
}

export function pdqDihedralFromLuma(luma: Float32Array, rows: number, cols: number, overwrite = false): PdqHash[] {
  const f = pdqFloatFromLuma(luma, rows, cols, overwrite);
  if (!f) return PDQ_DIHEDRAL_NAMES.map(() => ({ hash: ZERO_HASH, quality: 0 }));
  return PDQ_DIHEDRAL_NAMES.map((name) => ({ hash: pdqBitsToHex(dihedralCoefficients(f.coefficients, name)), quality: f.quality }));
}
