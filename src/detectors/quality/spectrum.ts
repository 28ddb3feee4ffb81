import type { Raster } from '../../media/types.ts';
import { realFft2d } from '../fft.ts';

/**
 * Moiré measure for quality.screen_recapture. A camera pointed at a screen samples the screen's pixel grid
 * a second time; the two grids beat and leave a periodic pattern that shows as isolated, strong peaks in the
 * 2-D spectrum away from the axes. A natural scene's spectrum falls off smoothly (~1/f) and keeps its
 * energy on the axes (horizon, walls, image borders), so a peak's height above its own neighbourhood
 * separates the two.
 */

/** log(1 + |F|) of an n×n block (Hann-windowed, mean removed), with the zero frequency moved to the centre. */
export function logSpectrum(block: Float64Array, n: number): Float64Array {
  let mean = 0;
  for (const v of block) mean += v;
  mean /= block.length;
  const hann = Float64Array.from({ length: n }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1)));
  const windowed = new Float64Array(n * n);
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) windowed[y * n + x] = (block[y * n + x]! - mean) * hann[x]! * hann[y]!;
  const { re, im } = realFft2d(windowed, n);
  const out = new Float64Array(n * n);
  const h = n / 2;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const i = y * n + x;
      out[((y + h) % n) * n + ((x + h) % n)] = Math.log1p(Math.sqrt(re[i]! * re[i]! + im[i]! * im[i]!));
    }
  }
  return out;
}

export interface SpectralPeak {
  /** Frequency in cycles per block, relative to the centre (u across, v down). */
  u: number;
  v: number;
  /** Distance from the centre as a share of the Nyquist frequency. */
  radius: number;
  /** Mean log-magnitude of the 3×3 bins around the peak above the mean of the ring around them (natural log units: 1 ≈ 2.7×). */
  prominence: number;
  /** How strongly the peak sits in a harmonic series of the picture's own lines (see `harmonicSeries`). */
  series: number;
}

/** Peaks are looked for in this band of radii (share of Nyquist): below is scene content, above is noise. */
const MIN_RADIUS = 0.12;
const MAX_RADIUS = 0.9;
/** Bins this close to an axis are skipped: edges and borders put their energy there. */
const AXIS_GUARD = 3;
/** Neighbourhood ring: 11×11 minus the 3×3 centre. */
const RING = 5;
const CORE = 1;
/** Candidate fundamentals of a series: the peak itself or 1/2 … 1/6 of it (a fine ruling's fundamental is often below MIN_RADIUS). */
const SERIES_DIVISORS = 6;

/** Prominence (3×3 core mean above the 11×11 ring mean) at any bin, from an integral image of the log spectrum. */
function prominenceMap(spec: Float64Array, n: number): (x: number, y: number) => number {
  const w = n + 1;
  const sum = new Float64Array(w * w);
  for (let y = 0; y < n; y++) {
    let row = 0;
    for (let x = 0; x < n; x++) {
      row += spec[y * n + x]!;
      sum[(y + 1) * w + x + 1] = sum[y * w + x + 1]! + row;
    }
  }
  const box = (x0: number, y0: number, x1: number, y1: number): number => sum[y1 * w + x1]! - sum[y0 * w + x1]! - sum[y1 * w + x0]! + sum[y0 * w + x0]!;
  return (x, y) => {
    if (x < RING || y < RING || x >= n - RING || y >= n - RING) return Number.NEGATIVE_INFINITY;
    const outer = box(x - RING, y - RING, x + RING + 1, y + RING + 1);
    const inner = box(x - CORE, y - CORE, x + CORE + 1, y + CORE + 1);
    // The 3×3 core mean, not the bin alone: a windowed tone spreads over ~3 bins, while noise makes
    // single-bin spikes that averaging flattens (white noise would otherwise look like moiré).
    return inner / (2 * CORE + 1) ** 2 - (outer - inner) / ((2 * RING + 1) ** 2 - (2 * CORE + 1) ** 2);
  };
}

/**
 * Whether a peak belongs to lines or a grid drawn in the picture itself (ruled paper, chart gridlines, a
 * printed pattern). Sharp periodic lines leave a whole series of harmonics m·f₀ on one line through the
 * centre; a screen's moiré beat is nearly sinusoidal (the lens has already softened the screen's own
 * harmonics), so the bins at its multiples and fractions hold nothing special. Returns the best median
 * prominence, over the candidate fundamentals f₀ = peak / k (k = 1…6), of the other members of the series
 * (within the searched band, each read at its best bin ±1).
 */
function harmonicSeries(prominence: (x: number, y: number) => number, n: number, u: number, v: number): number {
  const h = n / 2;
  let best = 0;
  for (let k = 1; k <= SERIES_DIVISORS; k++) {
    const members: number[] = [];
    for (let m = 1; m <= 4 * k; m++) {
      if (m === k) continue;
      const mu = (m * u) / k;
      const mv = (m * v) / k;
      const radius = Math.hypot(mu, mv);
      if (radius < AXIS_GUARD || radius / h > MAX_RADIUS) continue;
      let at = Number.NEGATIVE_INFINITY;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) at = Math.max(at, prominence(Math.round(mu) + dx + h, Math.round(mv) + dy + h));
      members.push(at);
    }
    if (members.length < 2) continue;
    members.sort((a, b) => a - b);
    const mid = members.length >> 1;
    best = Math.max(best, members.length % 2 ? members[mid]! : (members[mid - 1]! + members[mid]!) / 2);
  }
  return Math.round(best * 1000) / 1000;
}

/**
 * The most prominent off-axis local maxima of the log spectrum, strongest first, each with its harmonic
 * series. Bins on the 8-pixel JPEG block grid are skipped: blocking artefacts of an unscaled JPEG sit exactly there.
 */
export function spectralPeaks(spec: Float64Array, n: number, keep = 5): SpectralPeak[] {
  const prominence = prominenceMap(spec, n);
  const h = n / 2;
  const block = n / 8;
  const peaks: Omit<SpectralPeak, 'series'>[] = [];
  // Half plane (v ≥ 0): the spectrum of a real image is symmetric.
  for (let y = h; y < n - RING; y++) {
    for (let x = RING; x < n - RING; x++) {
      const u = x - h;
      const v = y - h;
      if (Math.abs(u) <= AXIS_GUARD || Math.abs(v) <= AXIS_GUARD) continue;
      const radius = Math.hypot(u, v) / h;
      if (radius < MIN_RADIUS || radius > MAX_RADIUS) continue;
      if (Math.abs(u) % block <= 1 || block - (Math.abs(u) % block) <= 1) if (Math.abs(v) % block <= 1 || block - (Math.abs(v) % block) <= 1) continue;
      const c = spec[y * n + x]!;
      let isMax = true;
      for (let dy = -1; dy <= 1 && isMax; dy++) for (let dx = -1; dx <= 1; dx++) if ((dx || dy) && spec[(y + dy) * n + x + dx]! > c) isMax = false;
      if (!isMax) continue;
      peaks.push({ u, v, radius: Math.round(radius * 1000) / 1000, prominence: Math.round(prominence(x, y) * 1000) / 1000 });
    }
  }
  return peaks
    .sort((a, b) => b.prominence - a.prominence)
    .slice(0, keep)
    .map((p) => ({ ...p, series: harmonicSeries(prominence, n, p.u, p.v) }));
}

/** The centre n×n block of a greyscale raster (n the largest power of two that fits, at most `max`). */
export function centreBlock(r: Raster, max = 512): { block: Float64Array; n: number } | null {
  let n = max;
  while (n > Math.min(r.width, r.height)) n >>= 1;
  if (n < 128 || r.channels !== 1) return null;
  const x0 = (r.width - n) >> 1;
  const y0 = (r.height - n) >> 1;
  const block = new Float64Array(n * n);
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) block[y * n + x] = r.data[(y0 + y) * r.width + x0 + x]!;
  return { block, n };
}
