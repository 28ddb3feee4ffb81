import type { OcrService } from '../../vision/ocr.ts';
import type { Detector } from '../types.ts';
import { logoDetector } from './logo.ts';
import { rightsMetadataDetector } from './rights-metadata.ts';
import { stockMatchDetector } from './stock-match.ts';
import { createWatermarkTextDetector } from './watermark-text.ts';

export { STOCK_AGENCIES, matchAgency } from './agencies.ts';
export { logoDetector } from './logo.ts';
export { rightsMetadataDetector, rightsSignals } from './rights-metadata.ts';
export { stockMatchDetector } from './stock-match.ts';
export { createWatermarkTextDetector, watermarkSignals } from './watermark-text.ts';

/**
 * Copyright risk. Rights metadata and stock-bank matches are cheap and always on; logo search costs only
 * tenants with a logo bank; the watermark check needs an OCR service (≈0.5 s CPU per image), so it runs
 * only when one is given (`TOLLGATE_OCR`).
 */
export function copyrightDetectorsWith(ocr: false | (() => OcrService) | undefined): Detector[] {
  return [...(ocr ? [createWatermarkTextDetector(ocr)] : []), rightsMetadataDetector, stockMatchDetector, logoDetector];
}
