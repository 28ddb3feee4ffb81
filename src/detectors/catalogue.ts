import type { Detector } from './types.ts';
import { exactDuplicateDetector } from './dup/exact.ts';

/** Every detector Tollgate ships, in one list: the composition root registers these. */
export function builtInDetectors(): Detector[] {
  return [exactDuplicateDetector];
}
