import type { Detector } from '../types.ts';
import { c2paDetector } from './c2pa.ts';
import { generatorMetadataDetector } from './generator-metadata.ts';
import { invisibleWatermarkDetector } from './watermark-detector.ts';

/**
 * Provenance and AI-generation detectors, cheapest first: metadata and C2PA read bytes only;
 * the watermark decoder needs the full-resolution raster.
 */
export const aiDetectors: readonly Detector[] = [generatorMetadataDetector, c2paDetector, invisibleWatermarkDetector];

export { readGeneratorMetadata, generatorSignals } from './generator-metadata.ts';
export { readC2pa, c2paSignals, type C2paReport } from './c2pa.ts';
export { embedWatermark, matchPayloads, SD_PAYLOADS } from './watermark.ts';
