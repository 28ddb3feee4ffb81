import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { openMedia } from '../../../../src/media/open.ts';
import type { MediaView } from '../../../../src/media/types.ts';
import { NO_LOOKUPS, type Detector, type DetectorContext, type Signal } from '../../../../src/detectors/types.ts';

export const DATA = path.resolve(import.meta.dirname, '../../../../../shared/data');
export const HAS_DATA = existsSync(DATA);
export const HAS_FFMPEG = spawnSync('ffmpeg', ['-version']).status === 0;

export const context: DetectorContext = { upload: { receivedAt: new Date(0) }, lookups: NO_LOOKUPS, abort: new AbortController().signal };

export function data(rel: string): Buffer {
  return readFileSync(path.join(DATA, rel));
}

export async function run(detector: Detector, view: MediaView): Promise<Signal[]> {
  const signals = await detector.detect(view, context);
  for (const s of signals) {
    // Contract every quality signal must meet, checked on every call.
    if (!detector.codes.includes(s.code)) throw new Error(`${detector.name} emitted undeclared code ${s.code}`);
    if (!(s.score >= 0 && s.score <= 1)) throw new Error(`${s.code} score ${s.score} outside 0..1`);
    if (s.message.length < 10) throw new Error(`${s.code} message too short: ${s.message}`);
  }
  return signals;
}

export async function solid(width: number, height: number, rgb: [number, number, number], noise = 0): Promise<Buffer> {
  const img = sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] }, ...(noise ? { noise: { type: 'gaussian' as const, mean: rgb[0], sigma: noise } } : {}) } });
  return img.jpeg({ quality: 90 }).toBuffer();
}

/**
 * A video view whose sampled frames are the given image files, as the media module will produce them
 * (1 frame per second). openMedia is image-only until the video upgrade lands, and the detectors only
 * see `frames()`, so this is all they need.
 */
export async function videoView(frames: readonly Buffer[], fps = 1): Promise<MediaView> {
  const views = await Promise.all(frames.map((b) => openMedia(b)));
  const first = views[0]!;
  return {
    bytes: first.bytes,
    sha256: first.sha256,
    info: { ...first.info, kind: 'video', mime: 'video/mp4', format: 'mp4', frameCount: frames.length, durationS: frames.length / fps, fps },
    raster: first.raster,
    metadata: async () => ({}),
    frames: async () => views.map((v, i) => ({ index: i, timeS: i / fps, raster: v.raster })),
  };
}

/** Real decoded frames of a video file, one per second, as PNG buffers. */
export function ffmpegFrames(file: string, fps = 1, max = 10): Buffer[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'tollgate-frames-'));
  try {
    const r = spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-vf', `fps=${fps}`, '-frames:v', String(max), path.join(dir, 'f%03d.png')]);
    if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr.toString()}`);
    return readdirSync(dir)
      .sort()
      .map((f) => readFileSync(path.join(dir, f)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Encodes one still image into an H.264 MP4, the way "photo turned into a video" uploads are made. */
export function videoFileFromStill(image: string, seconds = 5): Buffer {
  const dir = mkdtempSync(path.join(tmpdir(), 'tollgate-still-'));
  try {
    const mp4 = path.join(dir, 'still.mp4');
    const enc = spawnSync('ffmpeg', ['-v', 'error', '-loop', '1', '-i', image, '-t', String(seconds), '-r', '25', '-vf', 'scale=640:-2', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-crf', '28', mp4]);
    if (enc.status !== 0) throw new Error(`ffmpeg failed: ${enc.stderr.toString()}`);
    return readFileSync(mp4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The sampled frames of such a clip, decoded by ffmpeg. */
export function stillToVideoFrames(image: string, seconds = 5): Buffer[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'tollgate-stillf-'));
  try {
    const mp4 = path.join(dir, 'still.mp4');
    writeFileSync(mp4, videoFileFromStill(image, seconds));
    return ffmpegFrames(mp4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
