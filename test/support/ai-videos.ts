import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { toolPath } from '../../src/media/ffmpeg.ts';
import { readPngMetadata } from '../../src/detectors/ai/png-chunks.ts';

/**
 * Test videos made from still images with ffmpeg: slideshows of ComfyUI outputs shaped like a video
 * generator's (832×480, 16 fps, 49 frames, no audio) with or without the tags ComfyUI's
 * VideoHelperSuite writes, and slideshows of real photos shaped like a phone clip (30 fps, AAC audio).
 * Used by the unit tests and by eval/ai.ts, so both measure the same kind of file.
 */
export interface SlideshowOptions {
  width: number;
  height: number;
  fps: number;
  frames: number;
  audio: boolean;
  /** Container tags (`-metadata key=value`). */
  tags?: Record<string, string>;
}

export const GENERATOR_SHAPE: SlideshowOptions = { width: 832, height: 480, fps: 16, frames: 49, audio: false };
export const PHONE_SHAPE: SlideshowOptions = { width: 1280, height: 720, fps: 30, frames: 90, audio: true };

/** An H.264 MP4 showing each image for an equal share of the frames (cover-cropped to the size). */
export async function slideshow(images: readonly Buffer[], options: SlideshowOptions): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-slideshow-'));
  try {
    for (const [i, image] of images.entries()) {
      await sharp(image).rotate().resize(options.width, options.height, { fit: 'cover' }).removeAlpha().png().toFile(join(dir, `f${String(i).padStart(3, '0')}.png`));
    }
    const perImage = options.frames / images.length;
    const out = join(dir, 'out.mp4');
    const args = ['-v', 'error', '-y', '-framerate', String(options.fps / perImage), '-i', join(dir, 'f%03d.png')];
    if (options.audio) args.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=44100:duration=${options.frames / options.fps}`);
    args.push('-vf', `fps=${options.fps},format=yuv420p`, '-frames:v', String(options.frames), '-c:v', 'libx264', '-crf', '18', '-preset', 'veryfast');
    if (options.audio) args.push('-c:a', 'aac', '-shortest');
    for (const [key, value] of Object.entries(options.tags ?? {})) args.push('-metadata', `${key}=${value}`);
    args.push('-movflags', '+faststart', out);
    const result = spawnSync(toolPath('ffmpeg'), args, { maxBuffer: 64 * 1024 * 1024 });
    if (result.status !== 0) throw new Error(`ffmpeg failed: ${result.stderr.toString()}`);
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The `comment` tag VideoHelperSuite writes (prompt as a JSON string, workflow as an object), from a PNG's chunks. */
export function comfyCommentTag(png: Buffer): Record<string, string> {
  const texts = readPngMetadata(png).texts;
  const prompt = texts.find((t) => t.keyword === 'prompt')?.text;
  const workflow = texts.find((t) => t.keyword === 'workflow')?.text;
  if (!prompt) throw new Error('the image has no ComfyUI prompt chunk');
  return { comment: `{"prompt": ${JSON.stringify(prompt)}${workflow ? `, "workflow": ${workflow}` : ''}}` };
}

/** An animated WebP re-encoded by sharp without its EXIF/XMP: the "metadata stripped" copy. */
export async function stripAnimatedWebp(bytes: Buffer): Promise<Buffer> {
  const meta = await sharp(bytes, { pages: -1 }).metadata();
  return sharp(bytes, { pages: -1 })
    .webp({ quality: 90, ...(meta.delay ? { delay: meta.delay } : {}), loop: meta.loop ?? 0 })
    .toBuffer();
}
