import type { Detector } from './types.ts';
import { aiDetectors, createAiClassifierDetector, type AiModel } from './ai/index.ts';
import { exactDuplicateDetector } from './dup/exact.ts';
import { crossAccountDetector, nearDuplicateDetector } from './dup/near.ts';
import { referenceMatchDetector } from './dup/ref.ts';
import { videoNearDuplicateDetector } from './dup/video.ts';
import { metaDetectors } from './meta/index.ts';
import { qualityDetectors } from './quality/index.ts';
import { taskDetectors } from './task/index.ts';

/** Every detector Tollgate ships, in one list: the composition root registers these. */
export interface CatalogueOptions {
  /** A trained model that replaces the shipped `ai.classifier` model. */
  aiModel?: AiModel;
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
    ...(options.aiModel ? [...aiDetectors.filter((d) => d.name !== 'ai.classifier'), createAiClassifierDetector(options.aiModel)] : aiDetectors),
    // Inert without a task; the models load only for tasks that need them.
    ...taskDetectors,
  ];
}
