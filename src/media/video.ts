import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TollgateError } from '../errors.ts';
import { runTool } from './ffmpeg.ts';
import type { MediaLimits } from './limits.ts';
import { parseProbe, type VideoProbe } from './probe.ts';
import { rasterFunction, targetSize, type Size } from './raster.ts';
import type { SniffResult } from './sniff.ts';
import type { MediaFrame, MediaInfo, MediaMetadata, Raster, RasterRequest } from './types.ts';

/** Longest side of decoded video frames; smaller rasters are derived from these with sharp. */
export const FRAME_SIDE = 512;

export interface VideoOptions {
  signal?: AbortSignal;
  probeTimeoutMs?: number;
  /** Default: 60 s plus 0.5 s per second of video. */
  decodeTimeoutMs?: number;
}

export interface VideoParts {
  info: MediaInfo;
  raster(request?: RasterRequest): Promise<Raster>;
  metadata(): Promise<MediaMetadata>;
  frames(): Promise<readonly MediaFrame[]>;
}

/**
 * MP4/MOV keep their index (moov) wherever the muxer put it; when it follows mdat, ffmpeg must seek and a
 * pipe will not do. Matroska/WebM and "fast start" MP4 stream fine through stdin, which avoids a temp file.
 */
export function needsSeekableInput(bytes: Buffer, format: string): boolean {
  if (format !== 'mp4' && format !== 'mov') return false;
  let o = 0;
  while (o + 8 <= bytes.length) {
    let size = bytes.readUInt32BE(o);
    const type = bytes.toString('latin1', o + 4, o + 8);
    if (type === 'moov') return false;
    if (type === 'mdat') return true;
    if (size === 1 && o + 16 <= bytes.length) size = Number(bytes.readBigUInt64BE(o + 8));
    if (size < 8) return true; // size 0 = "to end of file", or garbage: let ffmpeg seek
    o += size;
  }
  return true;
}

/** Runs `fn` with an ffmpeg input argument: `pipe:0` when possible, else a private temp file removed after. */
async function withInput<T>(bytes: Buffer, seekable: boolean, fn: (input: string, stdin: Buffer | undefined) => Promise<T>): Promise<T> {
  if (!seekable) return fn('pipe:0', bytes);
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-media-'));
  try {
    const file = join(dir, 'input');
    await writeFile(file, bytes, { mode: 0o600 });
    return await fn(file, undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function ffmpegError(stderr: string, what: string): TollgateError {
  const last = stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 500);
  return new TollgateError('media.corrupt', `${what}: ${last || 'no output'}`, { stderr: stderr.slice(-2000) });
}

export async function probeVideo(bytes: Buffer, format: string, options: VideoOptions): Promise<VideoProbe> {
  const seekable = needsSeekableInput(bytes, format);
  const result = await withInput(bytes, seekable, (input, stdin) =>
    runTool('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', '-i', input], {
      ...(stdin ? { stdin } : {}),
      timeoutMs: options.probeTimeoutMs ?? 20_000,
      ...(options.signal ? { signal: options.signal } : {}),
      maxStdoutBytes: 8 * 1024 * 1024,
    }),
  );
  if (result.code !== 0) throw ffmpegError(result.stderr, 'ffprobe cannot read the container');
  return parseProbe(result.stdout.toString('utf8'));
}

/** The sampling rate: `sampleFps`, lowered so that `maxFrames` samples span the whole video. */
export function samplingFps(probe: VideoProbe, limits: MediaLimits): number {
  const d = probe.durationS;
  if (!d) return limits.sampleFps;
  return Math.min(limits.sampleFps, limits.maxFrames / d);
}

/**
 * One ffmpeg run: decode, sample with the fps filter, scale to the frame size, raw RGB out through a
 * pipe. ffmpeg applies the rotation side data itself (autorotate), so `size` is in display orientation.
 */
async function decodeFrames(bytes: Buffer, format: string, probe: VideoProbe, limits: MediaLimits, options: VideoOptions) {
  const size = targetSize({ width: probe.width, height: probe.height }, { maxSide: FRAME_SIDE });
  const fps = samplingFps(probe, limits);
  const frameBytes = size.width * size.height * 3;
  // round=up: tick n keeps the last frame with pts ≤ n/fps, i.e. the frame on screen at that time. The
  // default (near) keeps the last frame before (n+0.5)/fps, which shifts every sample by ~0.5 s against
  // reference tools (upstream vPDQ hashes frames at exact times).
  const filter = `fps=${fps.toFixed(6)}:round=up,scale=${size.width}:${size.height}:flags=area,setsar=1`;
  const seconds = Math.min(probe.durationS ?? limits.maxVideoSeconds, limits.maxVideoSeconds);
  const timeoutMs = options.decodeTimeoutMs ?? 60_000 + 500 * seconds;
  const result = await withInput(bytes, needsSeekableInput(bytes, format), (input, stdin) => {
    const args = ['-v', 'error', '-i', input, '-map', '0:v:0', '-an', '-sn', '-dn', '-t', String(limits.maxVideoSeconds)];
    args.push('-vf', filter, '-frames:v', String(limits.maxFrames), '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1');
    return runTool('ffmpeg', args, {
      ...(stdin ? { stdin } : {}),
      timeoutMs,
      ...(options.signal ? { signal: options.signal } : {}),
      maxStdoutBytes: frameBytes * limits.maxFrames,
    });
  });
  const count = Math.floor(result.stdout.length / frameBytes);
  // A non-zero exit with whole frames decoded is a damaged tail: keep what decoded, like a player would.
  if (count === 0) throw ffmpegError(result.stderr, result.code === 0 ? 'no frame could be decoded' : 'ffmpeg cannot decode the video');
  const frames: { timeS: number; raster: Raster }[] = [];
  for (let i = 0; i < count; i++) {
    const data = result.stdout.subarray(i * frameBytes, (i + 1) * frameBytes);
    frames.push({ timeS: i / fps, raster: { width: size.width, height: size.height, channels: 3, data } });
  }
  return frames;
}

export async function openVideo(
  bytes: Buffer,
  sniffed: SniffResult,
  limits: MediaLimits,
  options: VideoOptions,
  eager: boolean,
): Promise<VideoParts> {
  const probe = await probeVideo(bytes, sniffed.format, options);
  if (probe.width * probe.height > limits.maxPixels) {
    throw new TollgateError('media.too_many_pixels', `${probe.width}×${probe.height} video frames exceed ${limits.maxPixels} pixels`);
  }
  if (probe.durationS !== undefined && probe.durationS > limits.maxVideoSeconds) {
    throw new TollgateError('media.too_long', `${probe.durationS.toFixed(1)} s exceeds ${limits.maxVideoSeconds} s`, {
      durationS: probe.durationS,
      maxVideoSeconds: limits.maxVideoSeconds,
    });
  }
  // Frames are decoded at FRAME_SIDE; larger requests get that size rather than an upscaled copy
  // ("at most maxSide" holds, and no detector is misled by invented detail).
  const frameSize: Size = targetSize({ width: probe.width, height: probe.height }, { maxSide: FRAME_SIDE });
  let decoded: Promise<readonly MediaFrame[]> | undefined;
  const frames = (): Promise<readonly MediaFrame[]> => {
    decoded ??= decodeFrames(bytes, sniffed.format, probe, limits, options).then((list) =>
      list.map((f, index) => ({ index, timeS: f.timeS, raster: rasterFunction(frameSize, () => Promise.resolve(f.raster), undefined) })),
    );
    // A failed decode (timeout, abort) may be retried by the next caller.
    decoded.catch(() => (decoded = undefined));
    return decoded;
  };
  if (eager) await frames();

  const info: MediaInfo = {
    kind: 'video',
    mime: sniffed.mime,
    format: sniffed.format,
    width: probe.width,
    height: probe.height,
    bytes: bytes.length,
    orientation: 1,
    frameCount: probe.frameCount,
    hasAudio: probe.hasAudio,
    decoder: 'ffmpeg',
  };
  if (probe.durationS !== undefined) info.durationS = probe.durationS;
  if (probe.fps !== undefined) info.fps = probe.fps;
  if (probe.videoCodec) info.videoCodec = probe.videoCodec;
  if (probe.audioCodec) info.audioCodec = probe.audioCodec;
  const metadata: MediaMetadata = { container: { ...probe.container, rotation: probe.rotation } };
  return {
    info,
    raster: async (request) => {
      const first = (await frames())[0];
      if (!first) throw new TollgateError('media.corrupt', 'the video has no frames');
      return first.raster(request);
    },
    metadata: () => Promise.resolve(metadata),
    frames,
  };
}
