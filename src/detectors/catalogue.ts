import type { Detector } from './types.ts';
import { aiDetectors } from './ai/index.ts';
import { exactDuplicateDetector } from './dup/exact.ts';
import { metaDetectors } from './meta/index.ts';
import { qualityDetectors } from './quality/index.ts';

/** Every detector Tollgate ships, in one list: the composition root registers these. */
export function builtInDetectors(): Detector[] {
  return [exactDuplicateDetector, ...qualityDetectors, ...metaDetectors, ...aiDetectors];
}
