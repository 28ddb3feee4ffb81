import exifr from 'exifr';
import sharp from 'sharp';
import type { Raster } from '../../media/types.ts';
import type { Detector } from '../types.ts';
import { signal } from './util.ts';

const GRID = 16;

/** A GRID×GRID greyscale grid (row-major) plus its source aspect ratio. */
type Grid = Float64Array;

/** Box-averages a region of a greyscale raster into a GRID×GRID grid. */
export function gridOf(r: Raster, crop?: { x: number; y: number; w: number; h: number }): Grid {
  const c = crop ?? { x: 0, y: 0, w: r.width, h: r.height };
  const out = new Float64Array(GRID * GRID);
  for (let gy = 0; gy < GRID; gy++) {
    const y0 = c.y + Math.floor((gy * c.h) / GRID);
    const y1 = Math.max(y0 + 1, c.y + Math.floor(((gy + 1) * c.h) / GRID));
    for (let gx = 0; gx < GRID; gx++) {
      const x0 = c.x + Math.floor((gx * c.w) / GRID);
      const x1 = Math.max(x0 + 1, c.x + Math.floor(((gx + 1) * c.w) / GRID));
      let sum = 0;
      let n = 0;
      for (let y = y0; y < y1 && y < r.height; y++) {
        for (let x = x0; x < x1 && x < r.width; x++) {
          sum += r.data[(y * r.width + x) * r.channels] ?? 0;
          n++;
        }
      }
      out[gy * GRID + gx] = n ? sum / n : 0;
    }
  }
  return out;
}

/** Central crop of `r` to the aspect ratio `aspect` (width/height). */
function centralCrop(r: Raster, aspect: number): { x: number; y: number; w: number; h: number } {
  const a = r.width / r.height;
  if (a > aspect) {
    const w = Math.max(1, Math.round(r.height * aspect));
    return { x: Math.floor((r.width - w) / 2), y: 0, w, h: r.height };
  }
  const h = Math.max(1, Math.round(r.width / aspect));
  return { x: 0, y: Math.floor((r.height - h) / 2), w: r.width, h };
}

/** The 8 dihedral transforms of a grid: thumbnails are sometimes stored in another orientation than the image. */
function dihedral(g: Grid): Grid[] {
  const out: Grid[] = [];
  for (let t = 0; t < 8; t++) {
    const o = new Float64Array(GRID * GRID);
    for (let y = 0; y < GRID; y++) {
      for (let x = 0; x < GRID; x++) {
        let sx = x;
        let sy = y;
        if (t & 4) [sx, sy] = [sy, sx];
        if (t & 1) sx = GRID - 1 - sx;
        if (t & 2) sy = GRID - 1 - sy;
        o[y * GRID + x] = g[sy * GRID + sx] ?? 0;
      }
    }
    out.push(o);
  }
  return out;
}

/**
 * Mean absolute difference after removing each grid's mean brightness (thumbnails differ in gamma), and
 * `peak`, the mean of the worst 10 % of cells: a pasted or erased object changes a few cells a lot.
 */
export function gridDistance(a: Grid, b: Grid): number {
  return gridDiff(a, b).mean;
}

export function gridDiff(a: Grid, b: Grid): { mean: number; peak: number } {
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < a.length; i++) {
    ma += a[i] ?? 0;
    mb += b[i] ?? 0;
  }
  ma /= a.length;
  mb /= b.length;
  const diffs = new Float64Array(a.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    diffs[i] = Math.abs((a[i] ?? 0) - ma - ((b[i] ?? 0) - mb));
    d += diffs[i]!;
  }
  diffs.sort();
  const top = Math.max(1, Math.floor(a.length / 10));
  let p = 0;
  for (let i = a.length - top; i < a.length; i++) p += diffs[i]!;
  return { mean: d / a.length, peak: p / top };
}

/** Contrast of a grid (mean absolute deviation): flat images cannot be compared reliably. */
function contrast(g: Grid): number {
  let m = 0;
  for (const v of g) m += v;
  m /= g.length;
  let d = 0;
  for (const v of g) d += Math.abs(v - m);
  return d / g.length;
}

export interface ThumbCompare {
  distance: number;
  peak: number;
  contrast: number;
  thumbSize: [number, number];
}

/** Compares the embedded thumbnail with the image; undefined when there is no decodable thumbnail. */
export async function compareThumbnail(bytes: Buffer, main: Raster): Promise<ThumbCompare | undefined> {
  let thumbBytes: Uint8Array | undefined;
  try {
    thumbBytes = await exifr.thumbnail(bytes);
  } catch {
    return undefined;
  }
  if (!thumbBytes || thumbBytes.length < 100) return undefined;
  let thumb: Raster;
  try {
    const { data, info } = await sharp(thumbBytes).greyscale().raw().toBuffer({ resolveWithObject: true });
    thumb = { width: info.width, height: info.height, channels: info.channels as 1 | 3 | 4, data };
  } catch {
    return undefined;
  }
  if (thumb.width < 8 || thumb.height < 8) return undefined;
  const mainAspect = main.width / main.height;
  // Some cameras squash the whole frame into 160×120 whatever the image's aspect (Ricoh RDC-5300).
  const candidates: Grid[] = [gridOf(thumb)];
  // The thumbnail is either padded to its own aspect (letterbox bars), or a crop of the image; try both
  // and every orientation, and keep the best match so that only a real content change stands out.
  for (const aspect of [mainAspect, 1 / mainAspect]) {
    candidates.push(gridOf(thumb, centralCrop(thumb, aspect)));
  }
  const thumbAspect = thumb.width / thumb.height;
  const mainGrids = [gridOf(main), gridOf(main, centralCrop(main, thumbAspect)), gridOf(main, centralCrop(main, 1 / thumbAspect))];
  let best = { mean: Infinity, peak: Infinity };
  for (const t of candidates) {
    for (const v of dihedral(t)) {
      for (const m of mainGrids) {
        const d = gridDiff(v, m);
        if (d.mean < best.mean) best = d;
      }
    }
  }
  return { distance: best.mean, peak: best.peak, contrast: contrast(mainGrids[0]!), thumbSize: [thumb.width, thumb.height] };
}

/**
 * Calibrated on ../shared/data (docs/eval-metadata.md): honest originals reach mean 6.5 / peak 23.5 (tiny
 * GIMP-scaled files included); a 40 % pasted patch gives peak 27–180.
 */
export const THUMB_MEDIUM = 14;
export const THUMB_HIGH = 24;
export const THUMB_PEAK = 28;

export const thumbnailMismatch: Detector = {
  name: 'meta.thumbnail_mismatch',
  codes: ['meta.thumbnail_mismatch'],
  kinds: ['image'],
  async detect(view) {
    if (view.info.format !== 'jpeg' && view.info.format !== 'tiff') return [];
    const main = await view.raster({ maxSide: 64, channels: 1 });
    const cmp = await compareThumbnail(view.bytes, main);
    if (!cmp) return [];
    // Relative to the image's own contrast, so that a flat sky does not pass for a mismatch.
    const rel = cmp.distance / Math.max(8, cmp.contrast);
    const evidence = { distance: Math.round(cmp.distance * 10) / 10, peak: Math.round(cmp.peak * 10) / 10, contrast: Math.round(cmp.contrast * 10) / 10, relative: Math.round(rel * 100) / 100, thumbnail: cmp.thumbSize };
    if (cmp.distance >= THUMB_HIGH && rel > 0.8) {
      return [signal('meta.thumbnail_mismatch', 'high', 0.85, 'the embedded EXIF thumbnail shows a different picture', evidence)];
    }
    // `peak` catches a local edit (an object pasted or removed) that barely moves the mean.
    if ((cmp.distance >= THUMB_MEDIUM && rel > 0.45) || (cmp.peak >= THUMB_PEAK && cmp.contrast >= 10)) {
      return [signal('meta.thumbnail_mismatch', 'medium', 0.6, 'the embedded EXIF thumbnail no longer matches the image', evidence)];
    }
    return [];
  },
};
