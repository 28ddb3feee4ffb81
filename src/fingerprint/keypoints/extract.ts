/**
 * Local features of one image (ORB-style, after Rublee et al. 2011): a scale pyramid of the grey
 * raster, FAST-9 corners ranked by Harris on every level, spread over the image by a grid, each
 * with an intensity-centroid orientation and a steered 256-bit BRIEF descriptor. They survive
 * what PDQ cannot: heavy crops, the image pasted into a screenshot or onto another picture,
 * rotation by any angle, overlays covering part of it. Coordinates are in level-0 pixels.
 */
import type { Raster } from '../../media/types.ts';
import { describe, DESCRIPTOR_WORDS, orientation, PATCH_RADIUS } from './brief.ts';
import { detectCorners, type Corner } from './fast.ts';

export interface KeypointSet {
  /** Size of the grey raster the keypoints were found on. */
  width: number;
  height: number;
  count: number;
  x: Float32Array;
  y: Float32Array;
  /** Pyramid scale of the level the keypoint came from (1 = full raster). */
  size: Float32Array;
  /** Orientation in radians. */
  angle: Float32Array;
  /** `count` × 8 words. */
  descriptors: Uint32Array;
}

export interface ExtractOptions {
  /** Cap on keypoints per image: memory per stored image is about 48 bytes each. */
  maxKeypoints?: number;
  levels?: number;
  scaleFactor?: number;
  /** FAST intensity threshold; low-contrast levels retry with FALLBACK_THRESHOLD. */
  threshold?: number;
}

/** Longest side of the grey raster features are extracted from (both uploads and bank entries). */
export const KEYPOINT_RASTER_SIDE = 640;
export const DEFAULT_MAX_KEYPOINTS = 500;
const FALLBACK_THRESHOLD = 8;
const BORDER = PATCH_RADIUS + 1;
const GRID_CELL = 32;

/** Grey (BT.601) pixels of a raster, or the raster's own data when it is grey already. */
function grey(r: Raster): Uint8Array {
  if (r.channels === 1) return r.data;
  const n = r.width * r.height;
  const out = new Uint8Array(n);
  for (let i = 0, p = 0; i < n; i++, p += r.channels) out[i] = (299 * r.data[p]! + 587 * r.data[p + 1]! + 114 * r.data[p + 2]! + 500) / 1000;
  return out;
}

/** Bilinear resize of a grey plane; used between pyramid levels only, where the step is small (≤ 1.5×). */
function resize(src: Uint8Array, sw: number, sh: number, dw: number, dh: number): Uint8Array {
  const out = new Uint8Array(dw * dh);
  const fx = sw / dw;
  const fy = sh / dh;
  for (let y = 0; y < dh; y++) {
    const sy = Math.min(sh - 1, Math.max(0, (y + 0.5) * fy - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(sh - 1, y0 + 1);
    const wy = sy - y0;
    for (let x = 0; x < dw; x++) {
      const sx = Math.min(sw - 1, Math.max(0, (x + 0.5) * fx - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(sw - 1, x0 + 1);
      const wx = sx - x0;
      const top = src[y0 * sw + x0]! * (1 - wx) + src[y0 * sw + x1]! * wx;
      const bottom = src[y1 * sw + x0]! * (1 - wx) + src[y1 * sw + x1]! * wx;
      out[y * dw + x] = Math.round(top * (1 - wy) + bottom * wy);
    }
  }
  return out;
}

/** Two passes of the separable binomial [1 4 6 4 1]/16 (σ ≈ 1.4): BRIEF's tests need a smoothed patch. */
function smooth(src: Uint8Array, w: number, h: number): Uint8Array {
  let a = src;
  const tmp = new Uint8Array(w * h);
  for (let pass = 0; pass < 2; pass++) {
    const out = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) {
      const row = y * w;
      for (let x = 0; x < w; x++) {
        const l2 = a[row + Math.max(0, x - 2)]!;
        const l1 = a[row + Math.max(0, x - 1)]!;
        const r1 = a[row + Math.min(w - 1, x + 1)]!;
        const r2 = a[row + Math.min(w - 1, x + 2)]!;
        tmp[row + x] = (l2 + 4 * l1 + 6 * a[row + x]! + 4 * r1 + r2 + 8) >> 4;
      }
    }
    for (let y = 0; y < h; y++) {
      const u2 = Math.max(0, y - 2) * w;
      const u1 = Math.max(0, y - 1) * w;
      const d1 = Math.min(h - 1, y + 1) * w;
      const d2 = Math.min(h - 1, y + 2) * w;
      const row = y * w;
      for (let x = 0; x < w; x++) out[row + x] = (tmp[u2 + x]! + 4 * tmp[u1 + x]! + 6 * tmp[row + x]! + 4 * tmp[d1 + x]! + tmp[d2 + x]! + 8) >> 4;
    }
    a = out;
  }
  return a;
}

/**
 * Up to `budget` corners spread over the level: each grid cell's corners by score, then the best of
 * every cell first, the second best next, and so on. Without it an overlay's text or a screenshot's
 * UI (dense sharp corners) would take the whole budget and leave the picture itself undescribed.
 */
function spread(corners: Corner[], width: number, budget: number): Corner[] {
  const cols = Math.ceil(width / GRID_CELL);
  const cells = new Map<number, Corner[]>();
  for (const c of corners) {
    const key = Math.floor(c.y / GRID_CELL) * cols + Math.floor(c.x / GRID_CELL);
    let list = cells.get(key);
    if (!list) cells.set(key, (list = []));
    list.push(c);
  }
  const byScore = (a: Corner, b: Corner): number => b.score - a.score || a.y - b.y || a.x - b.x;
  const lists = [...cells.values()].map((l) => l.sort(byScore));
  const out: Corner[] = [];
  for (let rank = 0; out.length < budget; rank++) {
    const round = lists.filter((l) => l.length > rank).map((l) => l[rank]!);
    if (round.length === 0) break;
    round.sort(byScore);
    for (const c of round) {
      if (out.length >= budget) break;
      out.push(c);
    }
  }
  return out;
}

export function extractKeypoints(raster: Raster, options: ExtractOptions = {}): KeypointSet {
  return extract(raster, options, false).keypoints;
}

/**
 * The keypoints, and the same keypoints as the horizontally mirrored picture has them (positions and
 * orientations mirrored, descriptors from the mirrored test pattern): a query for mirrored copies
 * without a second extraction, since BRIEF itself is not mirror-invariant.
 */
export function extractKeypointsAndMirror(raster: Raster, options: ExtractOptions = {}): { keypoints: KeypointSet; mirrored: KeypointSet } {
  const { keypoints, mirroredDescriptors } = extract(raster, options, true);
  const angle = keypoints.angle.map((a) => Math.atan2(Math.sin(Math.PI - a), Math.cos(Math.PI - a)));
  const x = keypoints.x.map((v) => keypoints.width - 1 - v);
  return { keypoints, mirrored: { ...keypoints, x, angle, descriptors: mirroredDescriptors } };
}

function extract(raster: Raster, options: ExtractOptions, withMirror: boolean): { keypoints: KeypointSet; mirroredDescriptors: Uint32Array } {
  const maxKeypoints = options.maxKeypoints ?? DEFAULT_MAX_KEYPOINTS;
  const levels = options.levels ?? 6;
  const factor = options.scaleFactor ?? 1.3;
  const threshold = options.threshold ?? 20;
  // ORB's split: each level gets a share proportional to its linear size.
  const shares = Array.from({ length: levels }, (_, l) => factor ** -l);
  const total = shares.reduce((a, b) => a + b, 0);

  const xs: number[] = [];
  const ys: number[] = [];
  const sizes: number[] = [];
  const angles: number[] = [];
  const words: number[] = [];
  const mirroredWords: number[] = [];
  const desc = new Uint32Array(DESCRIPTOR_WORDS);

  let img = grey(raster);
  let w = raster.width;
  let h = raster.height;
  let carried = 0;
  for (let level = 0; level < levels; level++) {
    const scale = factor ** level;
    if (level > 0) {
      const nw = Math.round(raster.width / scale);
      const nh = Math.round(raster.height / scale);
      if (nw < 2 * BORDER + 8 || nh < 2 * BORDER + 8) break;
      img = resize(img, w, h, nw, nh);
      w = nw;
      h = nh;
    } else if (w < 2 * BORDER + 8 || h < 2 * BORDER + 8) break;
    // What a level could not fill passes to the next, so small flat images still get their budget.
    const budget = Math.round((maxKeypoints * shares[level]!) / total) + carried;
    let corners = detectCorners(img, w, h, threshold, BORDER);
    if (corners.length < budget) corners = detectCorners(img, w, h, FALLBACK_THRESHOLD, BORDER);
    const kept = spread(corners, w, budget);
    carried = budget - kept.length;
    if (kept.length === 0) continue;
    const blurred = smooth(img, w, h);
    for (const c of kept) {
      const angle = orientation(img, w, c.x, c.y);
      describe(blurred, w, c.x, c.y, angle, desc, 0);
      xs.push((c.x + 0.5) * scale - 0.5);
      ys.push((c.y + 0.5) * scale - 0.5);
      sizes.push(scale);
      angles.push(angle);
      for (let k = 0; k < DESCRIPTOR_WORDS; k++) words.push(desc[k]!);
      if (withMirror) {
        describe(blurred, w, c.x, c.y, angle, desc, 0, true);
        for (let k = 0; k < DESCRIPTOR_WORDS; k++) mirroredWords.push(desc[k]!);
      }
    }
  }
  const keypoints = {
    width: raster.width,
    height: raster.height,
    count: xs.length,
    x: Float32Array.from(xs),
    y: Float32Array.from(ys),
    size: Float32Array.from(sizes),
    angle: Float32Array.from(angles),
    descriptors: Uint32Array.from(words),
  };
  return { keypoints, mirroredDescriptors: Uint32Array.from(mirroredWords) };
}
