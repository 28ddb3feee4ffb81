import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NO_LOOKUPS, type Detector, type DetectorContext, type DetectorLookups, type Signal, type UploadFacts } from '../../../../src/detectors/types.ts';
import { openMedia } from '../../../../src/media/open.ts';
import type { MediaView } from '../../../../src/media/types.ts';

export const DATA = path.resolve(import.meta.dirname, '../../../../../shared/data');
export const HAS_DATA = existsSync(DATA);
export const HAS_FFMPEG = spawnSync('ffmpeg', ['-version']).status === 0;
export const PHOTOS = path.join(DATA, 'object-photos');

export function photo(name: string): string {
  return path.join(PHOTOS, name);
}

export function data(rel: string): Buffer {
  return readFileSync(path.join(DATA, rel));
}

export interface VideoOptions {
  /** Seconds each still is shown. */
  secondsEach?: number;
  width?: number;
  height?: number;
  /** Container tags, e.g. `{ creation_time: '2026-11-20T10:00:00Z', location: '+48.8577+002.2950/' }`. */
  metadata?: Record<string, string>;
}

/**
 * A real H.264 MP4 made by ffmpeg from still photos (each shown `secondsEach` seconds), the way the
 * issue asks the example videos to be built; decoded by the same media path as any upload.
 */
export function makeVideo(images: readonly string[], options: VideoOptions = {}): Buffer {
  const { secondsEach = 2, width = 640, height = 480, metadata = {} } = options;
  const dir = mkdtempSync(path.join(tmpdir(), 'tollgate-task-'));
  const out = path.join(dir, 'out.mp4');
  const inputs = images.flatMap((image) => ['-loop', '1', '-t', String(secondsEach), '-i', image]);
  const scaled = images.map((_, i) => `[${i}:v]scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=10,format=yuv420p[v${i}]`);
  const concat = `${images.map((_, i) => `[v${i}]`).join('')}concat=n=${images.length}:v=1:a=0[out]`;
  const tags = Object.entries(metadata).flatMap(([k, v]) => ['-metadata', `${k}=${v}`]);
  try {
    const r = spawnSync('ffmpeg', ['-v', 'error', '-y', ...inputs, '-filter_complex', [...scaled, concat].join(';'), '-map', '[out]', '-c:v', 'libx264', '-preset', 'ultrafast', ...tags, out]);
    if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr.toString()}`);
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function contextFor(task: Record<string, unknown> | undefined, extra: Partial<UploadFacts> = {}, lookups: DetectorLookups = NO_LOOKUPS): DetectorContext {
  return {
    upload: { receivedAt: new Date('2026-11-23T12:00:00Z'), ...(task ? { task: { id: 't', spec: task } } : {}), ...extra },
    lookups,
    abort: new AbortController().signal,
  };
}

/** Runs a detector and checks the contract every task signal meets. */
export async function run(detector: Detector, view: MediaView, context: DetectorContext): Promise<Signal[]> {
  const signals = await detector.detect(view, context);
  for (const s of signals) {
    if (!detector.codes.includes(s.code)) throw new Error(`${detector.name} emitted undeclared code ${s.code}`);
    if (!(s.score >= 0 && s.score <= 1)) throw new Error(`${s.code} score ${s.score} outside 0..1`);
    if (s.message.length < 15) throw new Error(`${s.code} message too short: ${s.message}`);
  }
  return signals;
}

export async function open(bytes: Buffer): Promise<MediaView> {
  return openMedia(bytes);
}

export const codes = (signals: readonly Signal[]): string[] => signals.map((s) => s.code).sort();
