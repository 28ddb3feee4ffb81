import type { Detector } from '../types.ts';
import { clippedFraction, linScore, luminanceStats, round3 } from './metrics.ts';
import { BLANK_STD, fmt, lumaFrames, median, severityFor } from './shared.ts';

/** Luminance at or above this counts as a clipped highlight (JPEG ringing keeps true clips a few levels below 255). */
export const CLIP_LEVEL = 250;
/**
 * Fraction of clipped pixels at which an image is overexposed: a quarter of the frame with no detail at all.
 * Histogram statistics cannot tell a blown-out photo from a drawing on white paper, so line art and
 * documents are flagged too (three TIFF diagrams in docs/eval-quality.md); reviewers see the fraction.
 */
export const OVEREXPOSED_FRACTION = 0.25;
const RASTER_SIDE = 256;

/** `quality.overexposed`: blown highlights (flash into a mirror, camera pointed at a lamp or the sun). */
export const overexposedDetector: Detector = {
  name: 'quality.overexposed',
  codes: ['quality.overexposed'],
  kinds: ['image', 'video'],
  async detect(view, context) {
    const frames = await lumaFrames(view, RASTER_SIDE, context.abort);
    const measured = frames
      .map((f) => ({ index: f.index, timeS: f.timeS, clipped: clippedFraction(f.raster, CLIP_LEVEL), stats: luminanceStats(f.raster) }))
      // An all-white frame is blank, not overexposed: quality.blank names it better.
      .filter((m) => m.stats.trimmedStd > BLANK_STD);
    if (measured.length === 0) return [];
    // Median: one frame looking into a lamp is normal in a video.
    const clipped = median(measured.map((m) => m.clipped));
    if (clipped < OVEREXPOSED_FRACTION) return [];
    // 25% → 0.5, 35% → 0.88, 50% → 0.99.
    const score = linScore(clipped, OVEREXPOSED_FRACTION, 0.1, false);
    const meanLuma = median(measured.map((m) => m.stats.mean));
    const video = view.info.kind === 'video' && measured.length > 1;
    return [
      {
        code: 'quality.overexposed',
        score,
        severity: severityFor(score),
        message: `${fmt(clipped * 100)}% of the ${video ? 'median frame' : 'image'} is clipped white (luminance ≥ ${CLIP_LEVEL}; overexposed from ${OVEREXPOSED_FRACTION * 100}%), mean luminance ${fmt(meanLuma)}/255`,
        evidence: {
          clippedFraction: round3(clipped),
          threshold: OVEREXPOSED_FRACTION,
          clipLevel: CLIP_LEVEL,
          meanLuminance: round3(meanLuma),
          ...(video ? { frames: measured.map((m) => ({ index: m.index, timeS: m.timeS, clippedFraction: round3(m.clipped) })) } : {}),
        },
      },
    ];
  },
};
