import type { Detector } from '../types.ts';
import { blankDetector } from './blank.ts';
import { blurryDetector } from './blurry.ts';
import { frozenDetector } from './frozen.ts';
import { letterboxedDetector } from './letterboxed.ts';
import { overexposedDetector } from './overexposed.ts';
import { createScreenRecaptureDetector } from './screen-recapture.ts';
import { screenshotDetector } from './screenshot.ts';
import { tooSmallDetector } from './too-small.ts';

export { blankDetector } from './blank.ts';
export { BLUR_RASTER_SIDE, BLUR_THRESHOLD, blurryDetector, measureSharpness, type Sharpness } from './blurry.ts';
export { FROZEN_MAX_DIFF, FROZEN_MIN_FRAMES, frozenDetector } from './frozen.ts';
export { findLetterbox, letterboxedDetector, MIN_BAR_FRACTION, type Letterbox } from './letterboxed.ts';
export { CLIP_LEVEL, OVEREXPOSED_FRACTION, overexposedDetector } from './overexposed.ts';
export { createScreenRecaptureDetector, FACE_CHECK_FROM, LINE_SERIES_LIMIT, measureMoire, MOIRE_THRESHOLD, RECAPTURE_RASTER_SIDE, SPOOF_REAL_BELOW } from './screen-recapture.ts';
export { findScreenBar, screenshotDetector, screenshotEvidence, SCREENSHOT_MIN_SCORE, SCREENSHOT_RASTER_SIDE, type ScreenBar, type ScreenshotEvidence } from './screenshot.ts';
export { screenClassOf } from './screens.ts';
export { createTooSmallDetector, DEFAULT_TOO_SMALL, tooSmallDetector, type TooSmallOptions } from './too-small.ts';
export { BLANK_RASTER_SIDE, BLANK_STD } from './shared.ts';

/** The data-quality family with default settings, in the order a reviewer reads them. */
export const qualityDetectors: readonly Detector[] = [
  blankDetector,
  tooSmallDetector,
  blurryDetector,
  overexposedDetector,
  frozenDetector,
  letterboxedDetector,
  screenshotDetector,
  // Spectrum only; the catalogue adds the anti-spoof face check when TOLLGATE_RECAPTURE_FACES is set.
  createScreenRecaptureDetector(),
];
