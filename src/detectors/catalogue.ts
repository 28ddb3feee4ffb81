import type { Detector } from './types.ts';
import { aiDetectors, aiDetectorsWith, type PixelScorer } from './ai/index.ts';
import { copyrightDetectorsWith } from './copyright/index.ts';
import type { OcrService } from '../vision/ocr.ts';
import { exactDuplicateDetector } from './dup/exact.ts';
import { crossAccountDetector, nearDuplicateDetector } from './dup/near.ts';
import { referenceMatchDetector } from './dup/ref.ts';
import { videoNearDuplicateDetector } from './dup/video.ts';
import { metaDetectors } from './meta/index.ts';
import { qualityDetectors } from './quality/index.ts';
import { taskDetectors } from './task/index.ts';
import { nsfwDetector } from './content/nsfw.ts';
import { createScreenRecaptureDetector } from './quality/screen-recapture.ts';
import { defaultVisionService } from '../vision/service.ts';

/** Every detector Tollgate ships, in one list: the composition root registers these. */
export interface CatalogueOptions {
  /** A retrained or ONNX model that replaces the shipped one in `ai.classifier` and `ai.video_frames`. */
  aiScorer?: PixelScorer;
  /** content.nsfw (nsfwjs, loaded on first use) may run: for the tenants whose policy turns it on. */
  nsfw?: boolean;
  /** quality.screen_recapture also asks human's anti-spoof model about faces when the spectrum is suspicious. */
  recaptureFaceCheck?: boolean;
  /** The OCR behind copyright.watermark_text (e.g. the process-wide PaddleOCR service); without one the check is left out. */
  ocr?: false | (() => OcrService);
}

export function builtInDetectors(options: CatalogueOptions = {}): Detector[] {
  return [
    exactDuplicateDetector,
    nearDuplicateDetector,
    crossAccountDetector,
    videoNearDuplicateDetector,
    referenceMatchDetector,
    ...(options.recaptureFaceCheck
      ? qualityDetectors.map((d) => (d.name === 'quality.screen_recapture' ? createScreenRecaptureDetector({ faces: defaultVisionService }) : d))
      : qualityDetectors),
    ...(options.nsfw ? [nsfwDetector] : []),
    ...metaDetectors,
    ...copyrightDetectorsWith(options.ocr),
    ...(options.aiScorer ? aiDetectorsWith(options.aiScorer) : aiDetectors),
    // Inert without a task; the models load only for tasks that need them.
    ...taskDetectors,
  ];
}
