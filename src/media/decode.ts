import sharp from 'sharp';
import { TollgateError } from '../errors.ts';
import { decodeHeicInWorker, type HeicPixels } from './heic-worker.ts';
import type { Size } from './raster.ts';
import type { Raster } from './types.ts';

/**
 * The two still-image decoders. sharp (libvips) handles JPEG, PNG, WebP, GIF, TIFF and AV1-coded AVIF/HEIF;
 * its prebuilt libheif has only the AOM plugin, so HEVC-coded HEIC (every iPhone photo) goes through
 * heic-decode (libheif compiled to WASM). Both return RGB in display orientation at an exact size.
 */

/** Maps a decoder's message to our codes; the messages come from libvips, libjpeg, libspng and libheif. */
export function decodeError(err: unknown, format: string): TollgateError {
  if (err instanceof TollgateError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const short = message.split('\n')[0]?.slice(0, 300) ?? '';
  const details = { format, decoderMessage: message.slice(0, 1000) };
  if (/pixel limit/i.test(message)) return new TollgateError('media.too_many_pixels', short, details, { cause: err });
  if (/Support for this compression format has not been built|not supported by this decoder|no decoder|plugin|compression support is not configured/i.test(message)) {
    return new TollgateError('media.decoder_unavailable', `no decoder for this ${format} variant: ${short}`, details, { cause: err });
  }
  // libjpeg's "Corrupt JPEG data: premature end of data segment" is damage inside the file, not a short file.
  if (/corrupt jpeg data/i.test(message)) return new TollgateError('media.corrupt', short, details, { cause: err });
  if (/premature end|truncat|unexpected end|end of (file|stream|data)|not enough (image )?data|short read|incomplete|bad seek|out of data/i.test(message)) {
    return new TollgateError('media.truncated', short, details, { cause: err });
  }
  return new TollgateError('media.corrupt', short, details, { cause: err });
}

export interface SharpSourceOptions {
  maxPixels: number;
  page?: number;
}

/**
 * Decodes with sharp straight to `size`. `rotate()` applies EXIF orientation; shrink-on-load makes a
 * 12 MP JPEG → 1024 px decode read only a quarter of the DCT coefficients. Alpha is flattened onto white,
 * which is how a person sees a transparent upload on a page.
 */
export async function sharpDecode(bytes: Buffer, size: Size, options: SharpSourceOptions, format: string, rows = size.height): Promise<Raster> {
  try {
    const pipeline = sharp(bytes, {
      limitInputPixels: options.maxPixels,
      // 'error' fails on truncated and corrupt data but tolerates libjpeg warnings such as
      // "extraneous bytes before marker", which many real camera files trigger.
      failOn: 'error',
      page: options.page ?? 0,
      pages: 1,
      sequentialRead: true,
    })
      .rotate()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .resize(size.width, size.height, { fit: 'fill' });
    // Cut after the resize; libvips then reads a sequential source (a JPEG) only down to the band.
    if (rows < size.height) pipeline.extract({ left: 0, top: 0, width: size.width, height: rows });
    const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`unexpected channel count ${info.channels}`);
    return { width: info.width, height: info.height, channels: 3, data };
  } catch (err) {
    throw decodeError(err, format);
  }
}

/** Full decode through libheif WASM in a worker thread (heic-worker.ts; it applies the irot/imir transforms itself). */
export async function heicPixels(bytes: Buffer, timeoutMs = 30_000): Promise<HeicPixels> {
  try {
    return await decodeHeicInWorker(bytes, timeoutMs);
  } catch (err) {
    throw decodeError(err, 'heic');
  }
}

/** One size of a decoded HEIC (its top `rows` rows when given), resized by sharp with alpha flattened onto white. */
export async function heicRaster(decoded: HeicPixels, size: Size, rows = size.height): Promise<Raster> {
  const { width, height } = decoded;
  const rgba = Buffer.from(decoded.data.buffer, decoded.data.byteOffset, decoded.data.byteLength);
  try {
    const pipeline = sharp(rgba, { raw: { width, height, channels: 4 }, limitInputPixels: false })
      .flatten({ background: '#ffffff' })
      .resize(size.width, size.height, { fit: 'fill' });
    if (rows < size.height) pipeline.extract({ left: 0, top: 0, width: size.width, height: rows });
    const data = await pipeline.raw().toBuffer();
    return { width: size.width, height: rows, channels: 3, data };
  } catch (err) {
    throw decodeError(err, 'heic');
  }
}
