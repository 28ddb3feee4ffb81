export interface MediaLimits {
  maxBytes: number;
  /** Width × height of the decoded image or video frame; guards against decompression bombs. */
  maxPixels: number;
  maxVideoSeconds: number;
  /** Frames sampled from a video at most. */
  maxFrames: number;
  /** Frames sampled per second of video. */
  sampleFps: number;
}

export const DEFAULT_MEDIA_LIMITS: MediaLimits = {
  maxBytes: 200 * 1024 * 1024,
  maxPixels: 100_000_000,
  maxVideoSeconds: 600,
  maxFrames: 60,
  sampleFps: 1,
};
