import sharp from 'sharp';
import { TollgateError } from '../errors.ts';
import { decodeError, heicPixels, heicRaster, sharpDecode } from './decode.ts';
import type { HeicPixels } from './heic-worker.ts';
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

/** Set once sharp has failed on an HEVC-coded HEIF: from then on such files go straight to heic-decode. */
let sharpLacksHevc = false;

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
  const hevc = (format === 'heic' || format === 'heif') && header.compression === 'hevc';
  let useHeic = hevc && sharpLacksHevc;
  // libheif decodes the whole image whatever size is asked for: decode once per view and resize from that.
  let decodedHeic: Promise<HeicPixels> | undefined;
  const decodeAt = (size: Size, rows?: number): Promise<Raster> => {
    if (!useHeic) return sharpDecode(bytes, size, { maxPixels: limits.maxPixels }, format, rows);
    decodedHeic ??= heicPixels(bytes);
    return decodedHeic.then((pixels) => heicRaster(pixels, size, rows));
  };

  const workingSize = targetSize(display, { maxSide: WORKING_SIDE });
  let working: Raster;
  try {
    working = await decodeAt(workingSize);
  } catch (err) {
    // sharp is preferred when its libheif has an HEVC plugin (a custom libvips build); the prebuilt one has
    // only AOM, which is learned on the first HEIC and remembered for the life of the process (or thread).
    // Any failure of sharp on an HEVC file goes on to heic-decode, not only the missing plugin's: decodes
    // failing side by side get each other's messages from libvips ("bad seek", "Unknown error"), so the
    // first HEICs a process decodes at once would otherwise end as media.corrupt.
    if (!hevc || useHeic) throw err;
    if (err instanceof TollgateError && err.code === 'media.decoder_unavailable') sharpLacksHevc = true;
    useHeic = true;
    working = await decodeAt(workingSize);
  }
  const raster = rasterFunction(display, () => Promise.resolve(working), decodeAt);

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
  const animated = (format === 'gif' || format === 'webp') && header.pages > 1;
  return {
    info,
    raster,
    metadata: () => (metadata ??= readImageMetadata(bytes, format)),
    frames: () =>
      (frames ??= animated ? animationFrames(bytes, format, header, limits, raster, display) : Promise.resolve([{ index: 0, timeS: 0, raster }])),
  };
}

/** Long side of sampled animation frames (like video frames); frame 0 keeps the full working raster. */
const ANIMATION_SIDE = 512;
/** The strip of decoded pages is held in memory at once; this bounds it. */
const ANIMATION_MAX_BYTES = 256 * 1024 * 1024;

/**
 * Animated GIF/WebP. Decoding page N means compositing pages 0..N-1 first, so sampling pages one by one
 * costs O(frames × pages); instead one sharp call decodes the first P pages in order, resizing each, and
 * the sampled ones are sliced out. P is bounded by a pixel budget (2 × maxPixels of decode work) and the
 * strip's memory, so a 10 000-frame GIF costs what a large still image costs; samples then cover only the
 * first P pages (`timeS` tells how far that is).
 */
function animationFrames(
  bytes: Buffer,
  format: string,
  header: Header,
  limits: MediaLimits,
  first: (request?: RasterRequest) => Promise<Raster>,
  display: Size,
): Promise<MediaFrame[]> {
  const size = targetSize(display, { maxSide: ANIMATION_SIDE });
  const frameBytes = size.width * size.height * 3;
  const byWork = Math.floor((2 * limits.maxPixels) / (header.width * header.height));
  const pages = Math.max(1, Math.min(header.pages, byWork, Math.floor(ANIMATION_MAX_BYTES / frameBytes)));
  const count = Math.max(1, Math.min(pages, limits.maxFrames));
  const starts: number[] = [];
  let t = 0;
  for (let p = 0; p < pages; p++) {
    starts.push(t / 1000);
    // Browsers treat delays ≤ 10 ms as 100 ms; follow them so timeS is what a viewer sees.
    const d = header.delays[p] ?? 100;
    t += d <= 10 ? 100 : d;
  }
  let strip: Promise<Buffer> | undefined;
  const decodeStrip = (): Promise<Buffer> =>
    (strip ??= sharp(bytes, { pages, limitInputPixels: pages * header.width * header.height + 1, failOn: 'error' })
      .resize(size.width, size.height, { fit: 'fill' })
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer()
      .catch((err: unknown) => {
        throw decodeError(err, format);
      }));
  const frames: MediaFrame[] = [];
  for (let i = 0; i < count; i++) {
    const page = count === 1 ? 0 : Math.round((i * (pages - 1)) / (count - 1));
    const base = async (): Promise<Raster> => {
      const data = (await decodeStrip()).subarray(page * frameBytes, (page + 1) * frameBytes);
      if (data.length !== frameBytes) throw new TollgateError('media.corrupt', `animation page ${page} could not be decoded`);
      return { width: size.width, height: size.height, channels: 3, data };
    };
    frames.push({ index: i, timeS: starts[page] ?? 0, raster: page === 0 ? first : rasterFunction(size, base, undefined) });
  }
  return Promise.resolve(frames);
}
