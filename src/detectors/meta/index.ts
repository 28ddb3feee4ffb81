/**
 * Metadata forensics: what the file says about its own history (EXIF, XMP, JPEG structure, video
 * container tags) checked against itself, against the app's upload facts and against known cameras.
 * `metaDetectors` are hot-path cheap (exifr + a JPEG marker walk + a 64-px raster). `metaDeepDetectors`
 * run in the deep phase (src/pipeline/deep.ts): they read ExifTool's deep read from the context or decode
 * DCT coefficients. See docs/eval-metadata.md for calibration and measured rates.
 */
import type { Detector } from '../types.ts';
import { deviceMismatch, gpsInconsistent, stripped, summary } from './camera.ts';
import { clonedMetadata } from './cloned.ts';
import { deepDates, deepRecord } from './deep.ts';
import { doubleCompression } from './double-compression.ts';
import { captureBeforeTask, dateInconsistent, futureDate } from './dates.ts';
import { quantization } from './qtables.ts';
import { editHistory, editSoftware } from './software.ts';
import { exifInconsistent } from './exif-consistency.ts';
import { structureAnomaly } from './structure.ts';
import { thumbnailMismatch } from './thumbnail.ts';
import { screenRecording, videoReencoded } from './video.ts';

export {
  captureBeforeTask, clonedMetadata, dateInconsistent, deepDates, deepRecord, doubleCompression, deviceMismatch, editHistory, editSoftware, exifInconsistent, futureDate, gpsInconsistent,
  quantization, screenRecording, stripped, structureAnomaly, summary, thumbnailMismatch, videoReencoded,
};

export const metaDetectors: readonly Detector[] = [
  summary,
  editSoftware,
  editHistory,
  dateInconsistent,
  futureDate,
  captureBeforeTask,
  thumbnailMismatch,
  quantization,
  exifInconsistent,
  stripped,
  deviceMismatch,
  gpsInconsistent,
  structureAnomaly,
  videoReencoded,
  screenRecording,
  clonedMetadata,
];

/** The deep phase: run only when the hot path or the configuration asks (src/pipeline/deep.ts). */
export const metaDeepDetectors: readonly Detector[] = [deepRecord, deepDates, doubleCompression];
