import type { MediaFrame, MediaView, Raster } from '../../media/types.ts';
import type { Severity } from '../types.ts';

/** One sampled frame (the image itself for stills) with its luminance raster at the requested size. */
export interface LumaFrame {
  index: number;
  timeS: number;
  raster: Raster;
}

/** Luminance rasters of every sampled frame; the view caches them, so detectors asking for the same size share work. */
export async function lumaFrames(view: MediaView, maxSide: number, abort?: AbortSignal): Promise<LumaFrame[]> {
  const frames: readonly MediaFrame[] = await view.frames();
  const out: LumaFrame[] = [];
  for (const frame of frames) {
    abort?.throwIfAborted();
    out.push({ index: frame.index, timeS: frame.timeS, raster: await frame.raster({ maxSide, channels: 1 }) });
  }
  return out;
}

/** Shared bands so that a "high" quality signal means the same thing across checks. */
export function severityFor(score: number): Severity {
  if (score >= 0.9) return 'high';
  if (score >= 0.7) return 'medium';
  return 'low';
}

export function fmt(v: number, digits = 1): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(digits);
}

export function fmtTime(s: number): string {
  return `${fmt(s, 1)}s`;
}

/** "black", "white" or "uniform (mean 128)": what a reviewer would call a featureless frame. */
export function toneName(mean: number): string {
  if (mean < 20) return 'black';
  if (mean > 235) return 'white';
  return `uniform (mean luminance ${fmt(mean)})`;
}

/**
 * Trimmed luminance std-dev at or below this (on a 64 px raster) means the frame shows nothing:
 * natural photos in the calibration corpora never go below ~12 (docs/eval-quality.md), while a
 * black frame with sensor noise and JPEG artefacts sits at 1–3.
 */
export const BLANK_STD = 4;
export const BLANK_RASTER_SIDE = 64;

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
