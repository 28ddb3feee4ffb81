import type { Raster } from '../../media/types.ts';
import { realFft2d } from '../fft.ts';

/**
 * Hand-crafted pixel features for the AI-vs-camera classifier. Each family targets a known
 * difference between generator output and camera pipelines:
 * - spectrum shape: generators' upsampling layers leave a distorted high-frequency falloff and
 *   periodic peaks; camera optics + demosaicing give a smooth 1/f^α falloff;
 * - noise residual: sensor noise is near-Gaussian and correlated across channels by demosaicing;
 *   diffusion output has smoother, heavier-tailed residuals;
 * - colour statistics: saturation is systematically higher in many generators' outputs;
 * - JPEG traces from the bytes: camera files are JPEGs with camera-typical quantisation.
 */

export const FEATURE_NAMES = [
  ...Array.from({ length: 8 }, (_, i) => `spectrum_bin${i}`),
  'spectrum_slope',
  'spectrum_hf_peak',
  'residual_log_std',
  'residual_kurtosis',
  'residual_abs_skew',
  'residual_corr_rg',
  'residual_corr_gb',
  'residual_autocorr1',
  'residual_autocorr2',
  'saturation_mean',
  'saturation_std',
  'jpeg',
  'jpeg_luma_q_log',
] as const;

export const FEATURE_COUNT = FEATURE_NAMES.length;
/** Largest crop analysed; the raster itself is requested at MAX_SIDE so training and inference see the same scale. */
export const CROP_MAX = 256;
export const RASTER_MAX_SIDE = 512;



/** Power spectrum of an n×n block. */
export function powerSpectrum(block: Float64Array, n: number): Float64Array {
  const { re, im } = realFft2d(block, n);
  const power = new Float64Array(n * n);
  for (let i = 0; i < n * n; i++) power[i] = (re[i] ?? 0) ** 2 + (im[i] ?? 0) ** 2;
  return power;
}

interface Crop {
  n: number;
  gray: Float64Array;
  rgb: [Float64Array, Float64Array, Float64Array];
}

function centerCrop(raster: Raster): Crop {
  const side = Math.min(raster.width, raster.height, CROP_MAX);
  const n = 2 ** Math.floor(Math.log2(Math.max(8, side)));
  const x0 = Math.max(0, Math.floor((raster.width - n) / 2));
  const y0 = Math.max(0, Math.floor((raster.height - n) / 2));
  const gray = new Float64Array(n * n);
  const rgb: [Float64Array, Float64Array, Float64Array] = [new Float64Array(n * n), new Float64Array(n * n), new Float64Array(n * n)];
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const sx = Math.min(raster.width - 1, x0 + x);
      const sy = Math.min(raster.height - 1, y0 + y);
      const p = (sy * raster.width + sx) * raster.channels;
      const r = raster.data[p] ?? 0;
      const g = raster.channels >= 3 ? (raster.data[p + 1] ?? 0) : r;
      const b = raster.channels >= 3 ? (raster.data[p + 2] ?? 0) : r;
      rgb[0][y * n + x] = r;
      rgb[1][y * n + x] = g;
      rgb[2][y * n + x] = b;
      gray[y * n + x] = 0.299 * r + 0.587 * g + 0.114 * b;
    }
  }
  return { n, gray, rgb };
}

/**
 * The bins of an n×n spectrum inside the unit radius (centre excluded), in row-major order, with what
 * depends on position alone: the radial bin, log10 of the radius, whether it is in the outer ring, and the
 * slope fit's sums over log radii. Computed once per size; the sums keep the row-major order, so the
 * features are the same to the last bit as summing in the loop.
 */
interface SpectrumGeometry {
  index: Int32Array;
  bin: Uint8Array;
  logRadius: Float64Array;
  outer: Uint8Array;
  outerCount: number;
  sumLogRadius: number;
  sumLogRadiusSquared: number;
}

const GEOMETRY = new Map<number, SpectrumGeometry>();

function spectrumGeometry(n: number): SpectrumGeometry {
  const cached = GEOMETRY.get(n);
  if (cached) return cached;
  const index: number[] = [];
  const bin: number[] = [];
  const logRadius: number[] = [];
  const outer: number[] = [];
  let sx = 0;
  let sxx = 0;
  const half = n / 2;
  for (let v = 0; v < n; v++) {
    const fv = v <= half ? v : v - n;
    for (let u = 0; u < n; u++) {
      const fu = u <= half ? u : u - n;
      const r = Math.sqrt(fu * fu + fv * fv) / half;
      if (r === 0 || r > 1) continue;
      const lr = Math.log10(r);
      index.push(v * n + u);
      bin.push(Math.min(7, Math.floor(r * 8)));
      logRadius.push(lr);
      outer.push(r > 0.5 ? 1 : 0);
      sx += lr;
      sxx += lr * lr;
    }
  }
  const geometry: SpectrumGeometry = {
    index: Int32Array.from(index),
    bin: Uint8Array.from(bin),
    logRadius: Float64Array.from(logRadius),
    outer: Uint8Array.from(outer),
    outerCount: outer.reduce((a, b) => a + b, 0),
    sumLogRadius: sx,
    sumLogRadiusSquared: sxx,
  };
  GEOMETRY.set(n, geometry);
  return geometry;
}

function spectrumFeatures(gray: Float64Array, n: number): number[] {
  let mean = 0;
  for (const v of gray) mean += v;
  mean /= gray.length;
  const hann = new Float64Array(n);
  for (let i = 0; i < n; i++) hann[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));
  const windowed = new Float64Array(n * n);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) windowed[y * n + x] = ((gray[y * n + x] ?? 0) - mean) * (hann[x] ?? 0) * (hann[y] ?? 0);
  }
  const power = powerSpectrum(windowed, n);
  const geometry = spectrumGeometry(n);
  const bins = new Float64Array(8);
  const counts = new Float64Array(8);
  const outer = new Float64Array(geometry.outerCount);
  let outerCount = 0;
  // Least-squares slope of log power against log radius; the sums over log radii are the geometry's.
  let sy = 0;
  let sxy = 0;
  const m = geometry.index.length;
  for (let k = 0; k < m; k++) {
    const lp = Math.log10((power[geometry.index[k] ?? 0] ?? 0) + 1e-6);
    const bin = geometry.bin[k] ?? 0;
    bins[bin] = (bins[bin] ?? 0) + lp;
    counts[bin] = (counts[bin] ?? 0) + 1;
    if (geometry.outer[k]) outer[outerCount++] = lp;
    sy += lp;
    sxy += (geometry.logRadius[k] ?? 0) * lp;
  }
  const sx = geometry.sumLogRadius;
  const profile = Array.from(bins, (total, i) => total / Math.max(1, counts[i] ?? 1));
  const avg = profile.reduce((a, b) => a + b, 0) / profile.length;
  const den = m * geometry.sumLogRadiusSquared - sx * sx;
  const slope = den > 0 ? (m * sxy - sx * sy) / den : 0;
  const median = outerCount > 0 ? kthSmallest(outer, Math.floor(outerCount / 2)) : 0;
  const peak = (outerCount > 0 ? outer.reduce((a, b) => Math.max(a, b)) : 0) - median;
  return [...profile.map((p) => p - avg), slope, peak];
}

/** The k-th smallest value (0-based), by Hoare's selection; reorders `values`. */
function kthSmallest(values: Float64Array, k: number): number {
  let lo = 0;
  let hi = values.length - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >> 1] ?? 0;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((values[i] ?? 0) < pivot) i++;
      while ((values[j] ?? 0) > pivot) j--;
      if (i <= j) {
        const t = values[i] ?? 0;
        values[i] = values[j] ?? 0;
        values[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return values[k] ?? 0;
  }
  return values[k] ?? 0;
}

/** 4-neighbour Laplacian residual (interior pixels only). */
function residual(plane: Float64Array, n: number): Float64Array {
  const out = new Float64Array((n - 2) * (n - 2));
  for (let y = 1; y < n - 1; y++) {
    for (let x = 1; x < n - 1; x++) {
      const c = plane[y * n + x] ?? 0;
      const s = (plane[y * n + x - 1] ?? 0) + (plane[y * n + x + 1] ?? 0) + (plane[(y - 1) * n + x] ?? 0) + (plane[(y + 1) * n + x] ?? 0);
      out[(y - 1) * (n - 2) + (x - 1)] = c - s / 4;
    }
  }
  return out;
}

function correlation(a: Float64Array, b: Float64Array, lagA = 0): number {
  const n = a.length - lagA;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i + lagA] ?? 0;
    mb += b[i] ?? 0;
  }
  ma /= n;
  mb /= n;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < n; i++) {
    const x = (a[i + lagA] ?? 0) - ma;
    const y = (b[i] ?? 0) - mb;
    num += x * y;
    da += x * x;
    db += y * y;
  }
  return da > 0 && db > 0 ? num / Math.sqrt(da * db) : 0;
}

function residualFeatures(crop: Crop): number[] {
  const { n } = crop;
  const res = residual(crop.gray, n);
  let mean = 0;
  for (const v of res) mean += v;
  mean /= res.length;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (const v of res) {
    const d = v - mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  m2 /= res.length;
  m3 /= res.length;
  m4 /= res.length;
  const std = Math.sqrt(m2);
  const kurtosis = m2 > 0 ? Math.log(m4 / (m2 * m2)) : 0;
  const skew = m2 > 0 ? Math.abs(m3 / std ** 3) : 0;
  const [rr, rg, rb] = crop.rgb.map((p) => residual(p, n)) as [Float64Array, Float64Array, Float64Array];
  // Lag 1 and 2 along rows: demosaicing leaves a 2-pixel period in camera residuals.
  return [Math.log(std + 1e-3), kurtosis, Math.min(skew, 10), correlation(rr, rg), correlation(rg, rb), correlation(res, res, 1), correlation(res, res, 2)];
}

function colourFeatures(crop: Crop): number[] {
  const [r, g, b] = crop.rgb;
  let sum = 0;
  let sum2 = 0;
  for (let i = 0; i < r.length; i++) {
    const max = Math.max(r[i] ?? 0, g[i] ?? 0, b[i] ?? 0);
    const min = Math.min(r[i] ?? 0, g[i] ?? 0, b[i] ?? 0);
    const s = max > 0 ? (max - min) / max : 0;
    sum += s;
    sum2 += s * s;
  }
  const mean = sum / r.length;
  return [mean, Math.sqrt(Math.max(0, sum2 / r.length - mean * mean))];
}

/** JPEG traces from the bytes: the mean of the first (luma) quantisation table, log-scaled. */
export function jpegFeatures(bytes: Uint8Array): number[] {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return [0, 0];
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) break;
    const marker = bytes[offset + 1] ?? 0;
    const length = ((bytes[offset + 2] ?? 0) << 8) | (bytes[offset + 3] ?? 0);
    if (marker === 0xdb && length >= 67) {
      const precision = (bytes[offset + 4] ?? 0) >> 4;
      let sum = 0;
      for (let i = 0; i < 64; i++) {
        sum += precision ? ((bytes[offset + 5 + 2 * i] ?? 0) << 8) | (bytes[offset + 6 + 2 * i] ?? 0) : (bytes[offset + 5 + i] ?? 0);
      }
      return [1, Math.log(sum / 64)];
    }
    if (marker === 0xda) break;
    offset += 2 + length;
  }
  return [1, 0];
}

/** The feature vector, in FEATURE_NAMES order. `raster` should come from `view.raster({ maxSide: RASTER_MAX_SIDE })`. */
export function extractFeatures(raster: Raster, bytes: Uint8Array): number[] {
  const crop = centerCrop(raster);
  return [...spectrumFeatures(crop.gray, crop.n), ...residualFeatures(crop), ...colourFeatures(crop), ...jpegFeatures(bytes)];
}
