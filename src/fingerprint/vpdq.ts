/**
 * vPDQ (Meta's video PDQ): a PDQ hash per sampled frame, matched as upstream does. Two videos
 * match by the share of each one's frames that have a near frame in the other, which survives
 * re-encoding, frame-rate changes, trimming and overlays better than a whole-video hash.
 *
 * Upstream hashes every frame; we hash the frames MediaView samples (1 fps by default), which
 * upstream supports too (seconds-per-hash). Runs of consecutive near-identical frames (a static
 * shot) are collapsed to the first so one long still scene does not dominate the percentages.
 * Sparse sampling has a cost: two copies whose timelines are shifted by a fraction of a second
 * can sample different moments of fast motion (upstream's chair-19 vs its sepia copy: ~10 %
 * at 1 fps, 86–100 % with every frame), so denser sampling raises recall on such pairs.
 */
import type { MediaView, Raster } from '../media/types.ts';
import { hammingWords, hexToWords } from './bits.ts';
import { pdqFromRaster, PDQ_MIN_QUALITY } from './pdq.ts';

/** Upstream's defaults: frames within this distance match; lower-quality frames are ignored. */
export const VPDQ_DISTANCE = 31;
export const VPDQ_QUALITY = PDQ_MIN_QUALITY;

export interface VpdqFrame {
  /** Position among the sampled frames. */
  index: number;
  timeS: number;
  hash: string;
  quality: number;
}

export interface VpdqMatch {
  /** % of the query's distinct good frames that have a match in the target. */
  queryMatchPercent: number;
  /** % of the target's distinct good frames that have a match in the query. */
  targetMatchPercent: number;
}

export function vpdqFromFrames(frames: ReadonlyArray<{ index: number; timeS: number; raster: Raster }>, collapseDistance = 0): VpdqFrame[] {
  const hashed = frames.map((f) => ({ index: f.index, timeS: f.timeS, ...pdqFromRaster(f.raster) }));
  return collapseConsecutive(hashed, collapseDistance);
}

export async function vpdqFromView(view: MediaView, collapseDistance = 0): Promise<VpdqFrame[]> {
  const frames = await view.frames();
  const rasters = [];
  for (const f of frames) rasters.push({ index: f.index, timeS: f.timeS, raster: await f.raster({ channels: 3 }) });
  return vpdqFromFrames(rasters, collapseDistance);
}

/** Keeps a frame only when it differs by more than `distance` from the last frame kept. */
export function collapseConsecutive(frames: readonly VpdqFrame[], distance = 0): VpdqFrame[] {
  const out: VpdqFrame[] = [];
  let last: Uint32Array | null = null;
  for (const f of frames) {
    const w = hexToWords(f.hash);
    if (last && hammingWords(w, 0, last, 0, 8) <= distance) continue;
    out.push(f);
    last = w;
  }
  return out;
}

/** Frames that take part in matching: good quality, each distinct hash once (as upstream). */
function usable(frames: readonly VpdqFrame[], quality: number): Uint32Array[] {
  const seen = new Set<string>();
  const out: Uint32Array[] = [];
  for (const f of frames) {
    if (f.quality < quality || seen.has(f.hash)) continue;
    seen.add(f.hash);
    out.push(hexToWords(f.hash));
  }
  return out;
}

function matchedShare(a: Uint32Array[], b: Uint32Array[], distance: number): number {
  if (a.length === 0) return 0;
  let n = 0;
  for (const x of a) if (b.some((y) => hammingWords(x, 0, y, 0, 8) <= distance)) n++;
  return (n * 100) / a.length;
}

/**
 * Brute-force comparison as upstream's matcher: videos have at most a few hundred sampled frames,
 * so the quadratic pass costs well under a millisecond; bank-scale lookups go through HammingIndex.
 */
export function vpdqMatch(query: readonly VpdqFrame[], target: readonly VpdqFrame[], options: { distance?: number; quality?: number } = {}): VpdqMatch {
  const distance = options.distance ?? VPDQ_DISTANCE;
  const quality = options.quality ?? VPDQ_QUALITY;
  const q = usable(query, quality);
  const t = usable(target, quality);
  return { queryMatchPercent: matchedShare(q, t, distance), targetMatchPercent: matchedShare(t, q, distance) };
}
