import type { Detector } from '../types.ts';
import { c2paDetector } from './c2pa.ts';
import { loadAiDetectorModel, loadDefaultAiModel, logregScorer } from './classifier.ts';
import { generatorMetadataDetector } from './generator-metadata.ts';
import { createOnnxScorer, readModelJson } from './onnx.ts';
import { createPixelClassifierDetector, type PixelScorer } from './pixel-scorer.ts';
import { createAiVideoDetector } from './video.ts';
import { invisibleWatermarkDetector } from './watermark-detector.ts';

/**
 * Provenance and AI-generation detectors, cheapest first: metadata and C2PA read bytes only; the
 * watermark decoder needs the full-resolution raster; the pixel classifier a ≤ 512 px raster and an FFT.
 * The classifier is included only when its shipped model loads (a missing model must not break scans).
 */
const defaultModel = loadDefaultAiModel();

/** The AI detectors with `scorer` as the pixel model for stills and video frames (none: metadata only). */
export function aiDetectorsWith(scorer: PixelScorer | null): Detector[] {
  return [
    generatorMetadataDetector,
    c2paDetector,
    invisibleWatermarkDetector,
    createAiVideoDetector(scorer),
    ...(scorer ? [createPixelClassifierDetector(scorer)] : []),
  ];
}

export const aiDetectors: readonly Detector[] = aiDetectorsWith(defaultModel ? logregScorer(defaultModel) : null);

/** TOLLGATE_AI_MODEL: a model written by `tollgate train ai-detector`, logistic (.json) or an ONNX descriptor. */
export function loadAiScorer(path: string): PixelScorer {
  const json = readModelJson(path);
  if (typeof json === 'object' && json !== null && (json as { kind?: unknown }).kind === 'tollgate.ai-classifier.onnx') return createOnnxScorer(json, path);
  return logregScorer(loadAiDetectorModel(json));
}

export { readGeneratorMetadata, generatorSignals } from './generator-metadata.ts';
export { readC2pa, c2paSignals, type C2paReport } from './c2pa.ts';
export { embedWatermark, matchPayloads, SD_PAYLOADS } from './watermark.ts';
export { trainAiDetector, loadAiDetectorModel, createAiClassifierDetector, logregScorer, type AiModel } from './classifier.ts';
export { createOnnxScorer, parseOnnxDescriptor, probeOnnxScorer, sha256File, type OnnxDescriptor, type OnnxDescriptorInput } from './onnx.ts';
export type { PixelScorer } from './pixel-scorer.ts';
