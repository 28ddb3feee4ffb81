import { createHash } from 'node:crypto';
import { TollgateError } from '../errors.ts';
import { guardExif, guardMetadataVolume } from './exif-guard.ts';
import { openImage } from './image.ts';
import { DEFAULT_MEDIA_LIMITS, type MediaLimits } from './limits.ts';
import { sniff } from './sniff.ts';
import { checkStructure } from './structure.ts';
import type { MediaView } from './types.ts';
import { openVideo } from './video.ts';

export interface OpenMediaOptions {
  /** Aborts ffprobe/ffmpeg (the child is killed) and fails with `media.timeout`. */
  signal?: AbortSignal;
  probeTimeoutMs?: number;
  decodeTimeoutMs?: number;
  /**
   * Videos: decode the sampled frames inside openMedia (default true), so a broken stream fails here with
   * its code. With false, frames are decoded on the first frames()/raster() call and errors surface there.
   * Images always decode their working raster eagerly (it is cheap and every upload needs it).
   */
  eagerFrames?: boolean;
  /** The bytes' SHA-256 when the caller already holds it (a content-addressed blob's key): not computed again. */
  sha256?: string;
}

/**
 * Opens an upload: sniff the real type → structural checks (truncation, CRC, polyglots, metadata bombs)
 * → header limits → decode once. Every failure is a TollgateError with a media.* code; nothing else
 * escapes (an unexpected error becomes media.corrupt with the original as `cause`).
 */
export async function openMedia(bytes: Buffer, limits: MediaLimits = DEFAULT_MEDIA_LIMITS, options: OpenMediaOptions = {}): Promise<MediaView> {
  try {
    return await open(bytes, limits, options);
  } catch (err) {
    if (err instanceof TollgateError) throw err;
    throw new TollgateError('media.corrupt', err instanceof Error ? err.message : String(err), undefined, { cause: err });
  }
}

async function open(bytes: Buffer, limits: MediaLimits, options: OpenMediaOptions): Promise<MediaView> {
  if (bytes.length === 0) throw new TollgateError('media.empty');
  if (bytes.length > limits.maxBytes) {
    throw new TollgateError('media.too_large', `${bytes.length} bytes exceeds ${limits.maxBytes}`, { bytes: bytes.length, maxBytes: limits.maxBytes });
  }
  const sniffed = sniff(bytes);
  const structure = checkStructure(bytes, sniffed.format);
  guardMetadataVolume(structure.metadataBytes);
  for (const segment of structure.exifSegments) guardExif(segment);
  const sha256 = options.sha256 ?? createHash('sha256').update(bytes).digest('hex');

  const parts =
    sniffed.kind === 'video'
      ? await openVideo(
          bytes,
          sniffed,
          limits,
          {
            ...(options.signal ? { signal: options.signal } : {}),
            ...(options.probeTimeoutMs ? { probeTimeoutMs: options.probeTimeoutMs } : {}),
            ...(options.decodeTimeoutMs ? { decodeTimeoutMs: options.decodeTimeoutMs } : {}),
          },
          options.eagerFrames ?? true,
        )
      : await openImage(bytes, sniffed, limits, structure.appended);
  return { bytes, sha256, info: parts.info, raster: parts.raster, metadata: parts.metadata, frames: parts.frames };
}
