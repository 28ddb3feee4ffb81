/**
 * Keypoints for logo search (copyright.logo). A logo in an upload is small — a tenth of the width is
 * ~60 px in the 640-px raster the copy matcher uses, a few grid cells holding a handful of its 500
 * keypoints — so both sides are extracted differently from src/detectors/dup/local.ts:
 *
 * - the upload from a larger raster (small images enlarged to it) with a denser keypoint budget, so the
 *   logo's area gets enough keypoints of its own;
 * - a logo entry rendered at several sizes, each described on its own (one pyramid level, a lower
 *   corner threshold, a white margin so its outline's corners get a full patch), so whatever size the
 *   logo appears at, some rendering's patches cover the same detail. A 200-px logo's own pyramid would
 *   give its smallest sizes only a few keypoints.
 *
 * All of an entry's keypoints are in one frame (the logo scaled to LOGO_FRAME_SIDE), so geometric
 * verification sees one reference image.
 */
import type { MediaView, Raster } from '../../media/types.ts';
import { DESCRIPTOR_WORDS, PATCH_RADIUS } from './brief.ts';
import { extractKeypoints, type KeypointSet } from './extract.ts';

/** Longest side of the upload raster logos are searched in (smaller uploads are enlarged to it). */
export const LOGO_QUERY_SIDE = 1536;
export const LOGO_QUERY_KEYPOINTS = 6000;
/** Longest side of the frame a logo entry's keypoint coordinates are expressed in. */
export const LOGO_FRAME_SIDE = 256;
/** Longest sides an entry is rendered at: from a logo ~3 % of a 1536-px upload's width to a fifth of it. */
const RENDER_SIDES = [48, 64, 88, 120, 160, 220, 300] as const;
const KEYPOINTS_PER_RENDERING = 200;
/** Flat-coloured logos have fewer, softer corners than photos; 20 (the photo default) misses the smallest renderings'. */
const RENDER_THRESHOLD = 12;
const MARGIN = PATCH_RADIUS + 3;

function scaledTo(width: number, height: number, side: number): { width: number; height: number } {
  const scale = side / Math.max(width, height);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** The upload's keypoints for logo search, in the coordinates of a raster LOGO_QUERY_SIDE long. */
export async function logoQueryKeypoints(view: MediaView): Promise<KeypointSet> {
  const raster = await view.raster({ exact: scaledTo(view.info.width, view.info.height, LOGO_QUERY_SIDE), channels: 1 });
  return extractKeypoints(raster, { maxKeypoints: LOGO_QUERY_KEYPOINTS });
}

/** A grey raster inside a white margin (logos are flattened onto white, so the margin continues their background). */
function withMargin(r: Raster, margin: number): Raster {
  const width = r.width + 2 * margin;
  const height = r.height + 2 * margin;
  const data = new Uint8Array(width * height).fill(255);
  for (let y = 0; y < r.height; y++) data.set(r.data.subarray(y * r.width, (y + 1) * r.width), (y + margin) * width + margin);
  return { width, height, channels: 1, data };
}

/** A logo entry's keypoints: every rendering's, in the LOGO_FRAME_SIDE frame. */
export async function logoEntryKeypoints(view: MediaView): Promise<KeypointSet> {
  const frame = scaledTo(view.info.width, view.info.height, LOGO_FRAME_SIDE);
  const sets: KeypointSet[] = [];
  for (const side of RENDER_SIDES) {
    const size = scaledTo(view.info.width, view.info.height, side);
    const raster = withMargin(await view.raster({ exact: size, channels: 1 }), MARGIN);
    const set = extractKeypoints(raster, { levels: 1, maxKeypoints: KEYPOINTS_PER_RENDERING, threshold: RENDER_THRESHOLD });
    const toFrame = frame.width / size.width;
    for (let i = 0; i < set.count; i++) {
      set.x[i] = (set.x[i]! - MARGIN) * toFrame;
      set.y[i] = (set.y[i]! - MARGIN) * toFrame;
      set.size[i] = toFrame;
    }
    sets.push(set);
  }
  return concatenate(sets, frame.width, frame.height);
}

function concatenate(sets: readonly KeypointSet[], width: number, height: number): KeypointSet {
  const count = sets.reduce((n, s) => n + s.count, 0);
  const out: KeypointSet = {
    width,
    height,
    count,
    x: new Float32Array(count),
    y: new Float32Array(count),
    size: new Float32Array(count),
    angle: new Float32Array(count),
    descriptors: new Uint32Array(count * DESCRIPTOR_WORDS),
  };
  let at = 0;
  for (const s of sets) {
    out.x.set(s.x, at);
    out.y.set(s.y, at);
    out.size.set(s.size, at);
    out.angle.set(s.angle, at);
    out.descriptors.set(s.descriptors, at * DESCRIPTOR_WORDS);
    at += s.count;
  }
  return out;
}
