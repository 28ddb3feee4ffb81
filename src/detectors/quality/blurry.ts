import type { Raster } from '../../media/types.ts';
import type { Detector } from '../types.ts';
import { laplacianStats, logScore, luminanceStats, round3 } from './metrics.ts';
import { BLANK_STD, fmt, fmtTime, lumaFrames, median, severityFor } from './shared.ts';

/** Longer side of the analysis raster: a fixed scale makes the measure comparable across resolutions. */
export const BLUR_RASTER_SIDE = 512;

/**
 * Sharpness below this is blurry. Calibrated by `eval/quality-calibration.ts` (docs/eval-quality.md):
 * on 106 real photos the lowest original scored 0.068, the highest Gaussian blur of σ ≥ 3 (applied at
 * 1024 px) 0.046; the threshold is their geometric mean.
 */
export const BLUR_THRESHOLD = 0.056;

/** Score reaches ~0.88 at threshold/2 and ~0.12 at threshold×2. */
const BLUR_SPREAD = 2;

export interface Sharpness {
  /** tileP90 / (luminance variance + 1): dimensionless, the calibrated measure. */
  sharpness: number;
  laplacianVariance: number;
  tileP90: number;
  luminanceStd: number;
  trimmedStd: number;
}

/**
 * Variance of the Laplacian, taken in the sharpest tiles (p90 of a 4×4 grid, so shallow depth of
 * field is not blur) and divided by the image's own contrast (so a sharp photo of a grey wall is not
 * blur either). Both choices removed the overlap that plain variance had on the calibration set.
 */
export function measureSharpness(r: Raster): Sharpness {
  const lap = laplacianStats(r);
  const lum = luminanceStats(r);
  return {
    sharpness: lap.tileP90 / (lum.std * lum.std + 1),
    laplacianVariance: lap.variance,
    tileP90: lap.tileP90,
    luminanceStd: lum.std,
    trimmedStd: lum.trimmedStd,
  };
}

/**
 * `quality.blurry`: out-of-focus or heavily smoothed images. For videos the median over sampled frames
 * decides, because single motion-blurred frames are normal in handheld footage.
 */
export const blurryDetector: Detector = {
  name: 'quality.blurry',
  codes: ['quality.blurry'],
  kinds: ['image', 'video'],
  async detect(view, context) {
    const frames = await lumaFrames(view, BLUR_RASTER_SIDE, context.abort);
    const measured = frames
      .map((f) => ({ index: f.index, timeS: f.timeS, ...measureSharpness(f.raster) }))
      // Featureless frames have no edges to be sharp or blurry; quality.blank reports them.
      .filter((m) => m.trimmedStd > BLANK_STD);
    if (measured.length === 0) return [];
    const value = median(measured.map((m) => m.sharpness));
    const score = logScore(value, BLUR_THRESHOLD, BLUR_SPREAD, true);
    if (value >= BLUR_THRESHOLD) return [];
    const isVideo = view.info.kind === 'video' && measured.length > 1;
    const blurryFrames = measured.filter((m) => m.sharpness < BLUR_THRESHOLD);
    return [
      {
        code: 'quality.blurry',
        score,
        severity: severityFor(score),
        message: isVideo
          ? `${blurryFrames.length} of ${measured.length} sampled frames are blurry: median sharpness ${fmt(value, 3)} (blurry below ${BLUR_THRESHOLD}; sharp photos have a median of ~1)`
          : `image is blurry: sharpness ${fmt(value, 3)} (blurry below ${BLUR_THRESHOLD}; sharp photos have a median of ~1)`,
        evidence: {
          sharpness: round3(value),
          threshold: BLUR_THRESHOLD,
          rasterSide: BLUR_RASTER_SIDE,
          laplacianVariance: round3(median(measured.map((m) => m.laplacianVariance))),
          ...(isVideo
            ? { frames: measured.map((m) => ({ index: m.index, timeS: m.timeS, at: fmtTime(m.timeS), sharpness: round3(m.sharpness) })) }
            : {}),
        },
      },
    ];
  },
};
