import type { Raster } from '../../media/types.ts';

/**
 * Pure pixel statistics for the quality detectors. All take single-channel (luminance) rasters,
 * so they are cheap and testable without decoding anything.
 */

function assertGrey(r: Raster): void {
  if (r.channels !== 1) throw new Error(`quality metrics need a 1-channel raster, got ${r.channels}`);
}

export interface LuminanceStats {
  mean: number;
  std: number;
  /** Std-dev after dropping the 2% darkest and 2% brightest pixels: a timestamp or logo on a black frame must not hide it. */
  trimmedStd: number;
  p5: number;
  p95: number;
}

export function luminanceStats(r: Raster, trim = 0.02): LuminanceStats {
  assertGrey(r);
  const hist = new Float64Array(256);
  for (const v of r.data) hist[v]! += 1;
  const n = r.data.length;
  let sum = 0;
  let sq = 0;
  for (let v = 0; v < 256; v++) {
    sum += v * hist[v]!;
    sq += v * v * hist[v]!;
  }
  const mean = sum / n;
  const std = Math.sqrt(Math.max(0, sq / n - mean * mean));
  // Trim by walking the histogram from both ends, taking fractional counts at the cut bins.
  const lo = n * trim;
  const hi = n * (1 - trim);
  let seen = 0;
  let tn = 0;
  let tsum = 0;
  let tsq = 0;
  for (let v = 0; v < 256; v++) {
    const c = hist[v]!;
    const from = Math.max(seen, lo);
    const to = Math.min(seen + c, hi);
    if (to > from) {
      const k = to - from;
      tn += k;
      tsum += v * k;
      tsq += v * v * k;
    }
    seen += c;
  }
  const tmean = tn > 0 ? tsum / tn : mean;
  const trimmedStd = tn > 0 ? Math.sqrt(Math.max(0, tsq / tn - tmean * tmean)) : std;
  return { mean, std, trimmedStd, p5: percentile(hist, n, 0.05), p95: percentile(hist, n, 0.95) };
}

function percentile(hist: Float64Array, n: number, q: number): number {
  const target = n * q;
  let seen = 0;
  for (let v = 0; v < 256; v++) {
    seen += hist[v]!;
    if (seen >= target) return v;
  }
  return 255;
}

export interface LaplacianStats {
  /** Variance of the 4-neighbour Laplacian over the whole raster (the classic focus measure). */
  variance: number;
  /**
   * 90th percentile of the Laplacian variance over a 4×4 grid of tiles: a portrait with a sharp face
   * and a soft bokeh background is in focus, and only the sharpest regions tell.
   */
  tileP90: number;
}

export function laplacianStats(r: Raster, grid = 4): LaplacianStats {
  assertGrey(r);
  const { width: w, height: h, data } = r;
  if (w < 3 || h < 3) return { variance: 0, tileP90: 0 };
  const tiles = Array.from({ length: grid * grid }, () => ({ n: 0, sum: 0, sq: 0 }));
  let n = 0;
  let sum = 0;
  let sq = 0;
  for (let y = 1; y < h - 1; y++) {
    const ty = Math.min(grid - 1, Math.floor((y * grid) / h));
    const row = y * w;
    for (let x = 1; x < w - 1; x++) {
      const i = row + x;
      const lap = data[i - 1]! + data[i + 1]! + data[i - w]! + data[i + w]! - 4 * data[i]!;
      n++;
      sum += lap;
      sq += lap * lap;
      const t = tiles[ty * grid + Math.min(grid - 1, Math.floor((x * grid) / w))]!;
      t.n++;
      t.sum += lap;
      t.sq += lap * lap;
    }
  }
  const variance = sq / n - (sum / n) ** 2;
  const tileVars = tiles.filter((t) => t.n > 0).map((t) => t.sq / t.n - (t.sum / t.n) ** 2).sort((a, b) => a - b);
  const tileP90 = tileVars[Math.min(tileVars.length - 1, Math.floor(0.9 * tileVars.length))] ?? 0;
  return { variance, tileP90 };
}

/** Fraction of pixels at or above `level` (clipped highlights). */
export function clippedFraction(r: Raster, level = 250): number {
  assertGrey(r);
  let c = 0;
  for (const v of r.data) if (v >= level) c++;
  return r.data.length === 0 ? 0 : c / r.data.length;
}

/** Mean absolute difference of two same-size luminance rasters, in grey levels (0..255). */
export function meanAbsDiff(a: Raster, b: Raster): number {
  assertGrey(a);
  assertGrey(b);
  if (a.width !== b.width || a.height !== b.height) throw new Error('meanAbsDiff needs same-size rasters');
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += Math.abs(a.data[i]! - b.data[i]!);
  return a.data.length === 0 ? 0 : s / a.data.length;
}

export interface Borders {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/**
 * Counts the rows/columns from each edge that are black bars: nearly all pixels dark.
 * "Nearly all" (98%) rather than "all" because encoders smear a pixel or two of content into the bar.
 */
export function blackBorders(r: Raster, maxLuma = 24, minDarkFraction = 0.98): Borders {
  assertGrey(r);
  const { width: w, height: h, data } = r;
  const rowDark = (y: number): boolean => {
    let dark = 0;
    for (let x = 0; x < w; x++) if (data[y * w + x]! <= maxLuma) dark++;
    return dark >= minDarkFraction * w;
  };
  const colDark = (x: number): boolean => {
    let dark = 0;
    for (let y = 0; y < h; y++) if (data[y * w + x]! <= maxLuma) dark++;
    return dark >= minDarkFraction * h;
  };
  let top = 0;
  while (top < h && rowDark(top)) top++;
  let bottom = 0;
  while (bottom < h - top && rowDark(h - 1 - bottom)) bottom++;
  let left = 0;
  while (left < w && colDark(left)) left++;
  let right = 0;
  while (right < w - left && colDark(w - 1 - right)) right++;
  return { top, bottom, left, right };
}

/**
 * Maps a measurement to a 0..1 score with a logistic in log space: 0.5 exactly at `threshold`,
 * and `spread` (a ratio > 1) is how far from the threshold the score reaches ~0.88 / ~0.12.
 * `lowerIsWorse` for measures like sharpness where small values are the problem.
 */
export function logScore(value: number, threshold: number, spread: number, lowerIsWorse: boolean): number {
  const x = Math.log(Math.max(value, 1e-9) / threshold) / Math.log(spread);
  const z = lowerIsWorse ? -2 * x : 2 * x;
  return round3(1 / (1 + Math.exp(-z)));
}

/** Linear logistic for bounded measures (fractions), same conventions as logScore. */
export function linScore(value: number, threshold: number, width: number, lowerIsWorse: boolean): number {
  const x = (value - threshold) / width;
  const z = lowerIsWorse ? -2 * x : 2 * x;
  return round3(1 / (1 + Math.exp(-z)));
}

export function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
