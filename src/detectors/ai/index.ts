import type { Detector } from '../types.ts';
import { c2paDetector } from './c2pa.ts';
import { createAiClassifierDetector, loadDefaultAiModel } from './classifier.ts';
import { generatorMetadataDetector } from './generator-metadata.ts';
import { invisibleWatermarkDetector } from './watermark-detector.ts';

/**
 * Provenance and AI-generation detectors, cheapest first: metadata and C2PA read bytes only; the
 * watermark decoder needs the full-resolution raster; the pixel classifier a ≤ 512 px raster and an FFT.
 * The classifier is included only when its shipped model loads (a missing model must not break scans).
 */
const defaultModel = loadDefaultAiModel();

export const aiDetectors: readonly Detector[] = [
  generatorMetadataDetector,
  c2paDetector,
  invisibleWatermarkDetector,
  ...(defaultModel ? [createAiClassifierDetector(defaultModel)] : []),
];

export { readGeneratorMetadata, generatorSignals } from './generator-metadata.ts';
export { readC2pa, c2paSignals, type C2paReport } from './c2pa.ts';
export { embedWatermark, matchPayloads, SD_PAYLOADS } from './watermark.ts';
export { trainAiDetector, loadAiDetectorModel, createAiClassifierDetector, type AiModel } from './classifier.ts';
