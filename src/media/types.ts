/**
 * The decoded view of one upload that every detector reads. It decodes lazily and at most once:
 * a detector asks for the raster size it needs and gets the cached one when another detector asked first.
 */
export type MediaKind = 'image' | 'video';

export interface MediaInfo {
  kind: MediaKind;
  /** Sniffed from the bytes, never from the file name or Content-Type. */
  mime: string;
  /** Short format name: jpeg, png, webp, gif, tiff, heif, avif, mp4, mov, webm, mkv. */
  format: string;
  /** Display size, after EXIF orientation is applied. */
  width: number;
  height: number;
  bytes: number;
  /** EXIF orientation tag 1..8 (1 when absent). */
  orientation: number;
  /** Animated images and videos: number of frames in the file (estimated for video). */
  frameCount: number;
  /** Videos only. */
  durationS?: number;
  fps?: number;
  hasAudio?: boolean;
  videoCodec?: string;
  audioCodec?: string;
  /** Bytes found after the image's end marker (JPEG EOI, PNG IEND) that are not dangerous; see structure.ts. */
  appended?: AppendedData;
  /** Which decoder produced the pixels: sharp, heic-decode (libheif WASM) or ffmpeg. */
  decoder?: 'sharp' | 'heic-decode' | 'ffmpeg';
}

/**
 * Data after the end of an image. `video` is typical of motion photos (an MP4 appended to a JPEG/HEIC),
 * `jpeg` of a second image (MPF previews are inside APP2, so this is unusual). Archives and markup are
 * never reported here: they are rejected with `media.archive` / `media.active_content`.
 */
export interface AppendedData {
  offset: number;
  bytes: number;
  kind: 'video' | 'jpeg' | 'unknown';
}

/** Raw 8-bit pixels, row-major, interleaved channels. Rasters are cached and shared: treat them as read-only. */
export interface Raster {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  data: Uint8Array;
}

export interface RasterRequest {
  /** Scale so that the longer side is at most this (never enlarges). Ignored when `exact` is set. */
  maxSide?: number;
  /** Resize to exactly this size, ignoring aspect ratio. */
  exact?: { width: number; height: number };
  /**
   * Only the top `rows` rows of that raster (all of it when it is shorter). For a detector that reads
   * pixels at full resolution but needs only a sample of them: a JPEG's decode then stops below the band.
   */
  rows?: number;
  /** 1 = luminance (BT.601), 3 = RGB. Default 3. */
  channels?: 1 | 3;
}

export interface MediaFrame {
  /** 0-based position among the sampled frames. */
  index: number;
  /** Presentation time in seconds (0 for still images). */
  timeS: number;
  raster(request?: RasterRequest): Promise<Raster>;
}

/**
 * Images: metadata as exifr parses it (merged EXIF/TIFF/GPS/XMP/IPTC/ICC, PNG text chunks, WebP EXIF/XMP).
 * Videos: `{ container: { format, formatLong, durationS, bitRate, tags, streams[], rotation } }` from ffprobe
 * (QuickTime keys such as `com.apple.quicktime.make` and `creation_time` are in `container.tags`).
 */
export type MediaMetadata = Readonly<Record<string, unknown>>;

export interface MediaView {
  readonly bytes: Buffer;
  readonly sha256: string;
  readonly info: MediaInfo;
  /** The whole image (first frame for animations and videos), orientation applied. */
  raster(request?: RasterRequest): Promise<Raster>;
  /** Parsed metadata; `{}` when the file has none. Never throws for malformed metadata. */
  metadata(): Promise<MediaMetadata>;
  /** Sampled frames: one for still images; 1 fps up to the configured cap for videos. */
  frames(): Promise<readonly MediaFrame[]>;
}
