import { createHash } from 'node:crypto';
import sharp from 'sharp';
import exifr from 'exifr';
import { TollgateError } from '../errors.ts';
import { DEFAULT_MEDIA_LIMITS, type MediaLimits } from './limits.ts';
import type { MediaFrame, MediaInfo, MediaMetadata, MediaView, Raster, RasterRequest } from './types.ts';

// Minimal image-only view; the media module replaces this with sniffing, video and HEIC support.
export async function openMedia(bytes: Buffer, limits: MediaLimits = DEFAULT_MEDIA_LIMITS): Promise<MediaView> {
  if (bytes.length === 0) throw new TollgateError('media.empty');
  if (bytes.length > limits.maxBytes) throw new TollgateError('media.too_large');
  const meta = await sharp(bytes, { limitInputPixels: limits.maxPixels }).metadata();
  const orientation = meta.orientation ?? 1;
  const swap = orientation >= 5;
  const info: MediaInfo = {
    kind: 'image',
    mime: `image/${meta.format}`,
    format: meta.format ?? 'unknown',
    width: (swap ? meta.height : meta.width) ?? 0,
    height: (swap ? meta.width : meta.height) ?? 0,
    bytes: bytes.length,
    orientation,
    frameCount: meta.pages ?? 1,
  };
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const rasters = new Map<string, Promise<Raster>>();
  const raster = (request: RasterRequest = {}): Promise<Raster> => {
    const key = JSON.stringify(request);
    let cached = rasters.get(key);
    if (!cached) {
      cached = decode(bytes, request, limits);
      rasters.set(key, cached);
    }
    return cached;
  };
  let metadata: Promise<MediaMetadata> | undefined;
  const frame: MediaFrame = { index: 0, timeS: 0, raster };
  return {
    bytes,
    sha256,
    info,
    raster,
    metadata: () => (metadata ??= exifr.parse(bytes, true).then((m) => (m ?? {}) as MediaMetadata, () => ({}))),
    frames: async () => [frame],
  };
}

async function decode(bytes: Buffer, request: RasterRequest, limits: MediaLimits): Promise<Raster> {
  let pipeline = sharp(bytes, { limitInputPixels: limits.maxPixels }).rotate();
  if (request.exact) pipeline = pipeline.resize(request.exact.width, request.exact.height, { fit: 'fill' });
  else if (request.maxSide) pipeline = pipeline.resize(request.maxSide, request.maxSide, { fit: 'inside', withoutEnlargement: true });
  pipeline = request.channels === 1 ? pipeline.greyscale() : pipeline.removeAlpha().toColourspace('srgb');
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: info.channels as 1 | 3, data };
}
