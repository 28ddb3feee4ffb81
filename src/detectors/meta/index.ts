/**
 * Metadata forensics: what the file says about its own history (EXIF, XMP, JPEG structure, video
 * container tags) checked against itself, against the app's upload facts and against known cameras.
 * Everything here is hot-path cheap (exifr + a JPEG marker walk + a 64-px raster); ExifTool deep reads
 * are deliberately not used. See docs/eval-metadata.md for calibration and measured rates.
 */
import type { Detector } from '../types.ts';
import { deviceMismatch, gpsInconsistent, stripped, summary } from './camera.ts';
import { clonedMetadata } from './cloned.ts';
import { captureBeforeTask, dateInconsistent, futureDate } from './dates.ts';
import { quantization } from './qtables.ts';
import { editHistory, editSoftware } from './software.ts';
import { exifInconsistent } from './exif-consistency.ts';
import { structureAnomaly } from './structure.ts';
import { thumbnailMismatch } from './thumbnail.ts';
import { screenRecording, videoReencoded } from './video.ts';

export {
  captureBeforeTask, clonedMetadata, dateInconsistent, deviceMismatch, editHistory, editSoftware, exifInconsistent, futureDate, gpsInconsistent,
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
