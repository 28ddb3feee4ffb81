import type { Detector } from '../types.ts';
import { logScore, luminanceStats, meanAbsDiff, round3 } from './metrics.ts';
import { BLANK_STD, fmt, lumaFrames } from './shared.ts';

/**
 * Largest mean absolute difference between consecutive sampled frames (grey levels on a 64 px raster)
 * that still counts as "the same picture". A photo encoded with x264 differs by < 0.01 between frames;
 * the real TMK phone clips never go below 3.4 (docs/eval-quality.md). 1 leaves room for noisier
 * encoders and re-compressed stills while staying far below real motion.
 */
export const FROZEN_MAX_DIFF = 1;
/** Fewer sampled frames than this cannot show that a video does not move. */
export const FROZEN_MIN_FRAMES = 3;
const RASTER_SIDE = 64;

/**
 * `quality.frozen`: a "video" whose sampled frames are all nearly identical — a photo turned into a
 * clip, a frozen camera feed, a paused screen recording. Paid video tasks get this to pass a
 * duration requirement without filming anything.
 */
export const frozenDetector: Detector = {
  name: 'quality.frozen',
  codes: ['quality.frozen'],
  kinds: ['video'],
  async detect(view, context) {
    const frames = await lumaFrames(view, RASTER_SIDE, context.abort);
    if (frames.length < FROZEN_MIN_FRAMES) return [];
    // An entirely blank video is also "frozen", but quality.blank is the useful explanation.
    if (frames.every((f) => luminanceStats(f.raster).trimmedStd <= BLANK_STD)) return [];
    const diffs: number[] = [];
    for (let i = 1; i < frames.length; i++) diffs.push(meanAbsDiff(frames[i - 1]!.raster, frames[i]!.raster));
    // Slow drift between consecutive frames can stay under the limit while the video does change overall.
    const firstLast = meanAbsDiff(frames[0]!.raster, frames[frames.length - 1]!.raster);
    const maxDiff = Math.max(...diffs, firstLast);
    if (maxDiff > FROZEN_MAX_DIFF) return [];
    // diff 1 → 0.5, 0.5 → 0.88, 0.1 → ~1.
    const score = logScore(maxDiff, FROZEN_MAX_DIFF, 2, true);
    const first = frames[0]!;
    const last = frames[frames.length - 1]!;
    return [
      {
        code: 'quality.frozen',
        score,
        severity: score >= 0.9 ? 'high' : 'medium',
        message: `all ${frames.length} sampled frames from ${fmt(first.timeS)}s to ${fmt(last.timeS)}s are the same picture: largest frame-to-frame difference ${fmt(maxDiff, 2)} grey levels (frozen at ≤ ${FROZEN_MAX_DIFF})`,
        evidence: {
          sampledFrames: frames.length,
          maxDiff: round3(maxDiff),
          firstLastDiff: round3(firstLast),
          diffs: diffs.map(round3),
          threshold: FROZEN_MAX_DIFF,
          spanS: round3(last.timeS - first.timeS),
        },
      },
    ];
  },
};
