import type { OcrService } from '../../vision/ocr.ts';
import type { Detector } from '../types.ts';
import { rightsMetadataDetector } from './rights-metadata.ts';
import { stockMatchDetector } from './stock-match.ts';
import { createWatermarkTextDetector, watermarkTextDetector } from './watermark-text.ts';

export { STOCK_AGENCIES, matchAgency } from './agencies.ts';
export { rightsMetadataDetector, rightsSignals } from './rights-metadata.ts';
export { stockMatchDetector } from './stock-match.ts';
export { createWatermarkTextDetector, watermarkSignals, watermarkTextDetector } from './watermark-text.ts';

/** Copyright risk: rights metadata and stock-bank matches are cheap; the OCR models load on the first image. */
export const copyrightDetectors: readonly Detector[] = [watermarkTextDetector, rightsMetadataDetector, stockMatchDetector];

/** The family with another OCR service, or without the OCR check (`false`). */
export function copyrightDetectorsWith(ocr: false | (() => OcrService) | undefined): Detector[] {
  if (ocr === undefined) return [...copyrightDetectors];
  return [...(ocr ? [createWatermarkTextDetector(ocr)] : []), rightsMetadataDetector, stockMatchDetector];
}
