import type { Detector } from './types.ts';
import { aiDetectors, aiDetectorsWith, type PixelScorer } from './ai/index.ts';
import { exactDuplicateDetector } from './dup/exact.ts';
import { crossAccountDetector, nearDuplicateDetector } from './dup/near.ts';
import { referenceMatchDetector } from './dup/ref.ts';
import { videoNearDuplicateDetector } from './dup/video.ts';
import { metaDetectors } from './meta/index.ts';
import { qualityDetectors } from './quality/index.ts';
import { taskDetectors } from './task/index.ts';

/** Every detector Tollgate ships, in one list: the composition root registers these. */
export interface CatalogueOptions {
  /** A retrained or ONNX model that replaces the shipped one in `ai.classifier` and `ai.video_frames`. */
  aiScorer?: PixelScorer;
}

export function builtInDetectors(options: CatalogueOptions = {}): Detector[] {
  return [
    exactDuplicateDetector,
    nearDuplicateDetector,
    crossAccountDetector,
    videoNearDuplicateDetector,
    referenceMatchDetector,
    ...qualityDetectors,
    ...metaDetectors,
    ...(options.aiScorer ? aiDetectorsWith(options.aiScorer) : aiDetectors),
    // Inert without a task; the models load only for tasks that need them.
    ...taskDetectors,
  ];
}
