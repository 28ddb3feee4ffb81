import sharp from 'sharp';
import { TollgateError } from '../errors.ts';
import { decodeError, heicDecode, sharpDecode } from './decode.ts';
import type { MediaLimits } from './limits.ts';
import { readImageMetadata } from './metadata.ts';
import { rasterFunction, targetSize, WORKING_SIDE, type Size } from './raster.ts';
import type { SniffResult } from './sniff.ts';
import type { AppendedData, MediaFrame, MediaInfo, MediaMetadata, Raster, RasterRequest } from './types.ts';

export interface ImageParts {
  info: MediaInfo;
  raster(request?: RasterRequest): Promise<Raster>;
  metadata(): Promise<MediaMetadata>;
  frames(): Promise<readonly MediaFrame[]>;
}

interface Header {
  width: number;
  height: number;
  orientation: number;
  pages: number;
  delays: number[];
  compression: string | undefined;
}

/** Header-only read (no pixel decode), so the pixel limit is checked before any allocation. */
async function readHeader(bytes: Buffer, format: string): Promise<Header> {
  let meta: sharp.Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw decodeError(err, format);
  }
  if (!meta.width || !meta.height) throw new TollgateError('media.corrupt', `${format} header has no dimensions`);
  const pages = meta.pages ?? 1;
  // For multi-page files libvips reports the first page's size unless all pages are requested.
  const height = meta.pageHeight && meta.pageHeight < meta.height ? meta.pageHeight : meta.height;
  return {
    width: meta.width,
    height,
    orientation: meta.orientation && meta.orientation >= 1 && meta.orientation <= 8 ? meta.orientation : 1,
    pages,
    delays: meta.delay ?? [],
    compression: meta.compression,
  };
}

/**
 * Opens a still or animated image. The working raster is decoded eagerly: that is the one decode every
 * upload needs anyway (fingerprints), and it makes truncation and corruption fail here, with a code,
 * instead of inside some detector later.
 */
export async function openImage(
  bytes: Buffer,
  sniffed: SniffResult,
  limits: MediaLimits,
  appended: AppendedData | undefined,
): Promise<ImageParts> {
  const format = sniffed.format;
  const header = await readHeader(bytes, format);
  const pixels = header.width * header.height;
  if (pixels > limits.maxPixels) {
    throw new TollgateError('media.too_many_pixels', `${header.width}×${header.height} exceeds ${limits.maxPixels} pixels`, {
      width: header.width,
      height: header.height,
      maxPixels: limits.maxPixels,
    });
  }
  // HEIF orientation lives in irot/imir boxes, applied by the decoder; libvips reports no EXIF orientation.
  const swap = header.orientation >= 5;
  const display: Size = swap ? { width: header.height, height: header.width } : { width: header.width, height: header.height };
  const useHeic = (format === 'heic' || format === 'heif') && header.compression === 'hevc';
  const decodeAt = (size: Size, page = 0): Promise<Raster> =>
    useHeic ? heicDecode(bytes, size) : sharpDecode(bytes, size, { maxPixels: limits.maxPixels, page }, format);

  const working = await decodeAt(targetSize(display, { maxSide: WORKING_SIDE }));
  const raster = rasterFunction(display, () => Promise.resolve(working), (size) => decodeAt(size));

  const info: MediaInfo = {
    kind: 'image',
    mime: sniffed.mime,
    format,
    width: display.width,
    height: display.height,
    bytes: bytes.length,
    orientation: header.orientation,
    frameCount: header.pages,
    decoder: useHeic ? 'heic-decode' : 'sharp',
  };
  if (appended) info.appended = appended;

  let metadata: Promise<MediaMetadata> | undefined;
  let frames: Promise<readonly MediaFrame[]> | undefined;
  const animated = (format === 'gif' || format === 'webp' || format === 'png') && header.pages > 1 && !useHeic;
  return {
    info,
    raster,
    metadata: () => (metadata ??= readImageMetadata(bytes, format)),
    frames: () =>
      (frames ??= Promise.resolve(
        animated ? animationFrames(header, limits, raster, (size, page) => decodeAt(size, page), display) : [{ index: 0, timeS: 0, raster }],
      )),
  };
}

/**
 * Animated GIF/WebP: up to `maxFrames` pages spread evenly over the animation, each decoded lazily
 * (libvips composites page N onto the canvas) at working size and derived from there.
 */
function animationFrames(
  header: Header,
  limits: MediaLimits,
  first: (request?: RasterRequest) => Promise<Raster>,
  decodeAt: (size: Size, page: number) => Promise<Raster>,
  display: Size,
): MediaFrame[] {
  const count = Math.max(1, Math.min(header.pages, limits.maxFrames));
  const starts: number[] = [];
  let t = 0;
  for (let p = 0; p < header.pages; p++) {
    starts.push(t / 1000);
    // Browsers treat delays ≤ 10 ms as 100 ms; follow them so timeS is what a viewer sees.
    const d = header.delays[p] ?? 100;
    t += d <= 10 ? 100 : d;
  }
  const frames: MediaFrame[] = [];
  for (let i = 0; i < count; i++) {
    const page = count === 1 ? 0 : Math.round((i * (header.pages - 1)) / (count - 1));
    let working: Promise<Raster> | undefined;
    const base = (): Promise<Raster> => (working ??= decodeAt(targetSize(display, { maxSide: WORKING_SIDE }), page));
    const raster = page === 0 ? first : rasterFunction(display, base, (size) => decodeAt(size, page));
    frames.push({ index: i, timeS: starts[page] ?? 0, raster });
  }
  return frames;
}
