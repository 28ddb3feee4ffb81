import type { Detector } from '../types.ts';
import { taskStructureDetector } from './structural.ts';
import { taskVisionDetector } from './vision.ts';

export { captureLocationOf, captureTimeOf, haversineKm, parseIso6709 } from './capture.ts';
export { TASK_STRUCTURE_CODES, taskStructureDetector } from './structural.ts';
export { createTaskVisionDetector, OBJECT_PRESENT_SCORE, SELF_MATCH_THRESHOLD, SELF_MISMATCH_CERTAIN, TASK_VISION_CODES, taskVisionDetector } from './vision.ts';

/** Task relevance: both run only when the upload carries a task; the vision one only when the task needs models. */
export const taskDetectors: readonly Detector[] = [taskStructureDetector, taskVisionDetector];
