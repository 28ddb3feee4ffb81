import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MEDIA_LIMITS } from '../../../src/media/limits.ts';
import { openMedia } from '../../../src/media/open.ts';
import { parseProbe } from '../../../src/media/probe.ts';
import { FRAME_SIDE, needsSeekableInput } from '../../../src/media/video.ts';
import { fixture, HAVE_SHARED, meanAbsDiff, SHARED, shared } from './helpers.ts';

const containerOf = async (bytes: Buffer) => {
  const meta = await (await openMedia(bytes)).metadata();
  return meta.container as { format: string; tags: Record<string, string>; rotation: number; streams: { type: string; codec: string }[] };
};

describe('videos', () => {
  it('MP4 with rotation side data: display size swapped, frames upright, audio found', async () => {
    const bytes = fixture('rotated-90.mp4');
    // moov after mdat: this one goes through a temp file.
    expect(needsSeekableInput(bytes, 'mp4')).toBe(true);
    // A private TMPDIR (os.tmpdir() reads it on every call), so other test processes cannot interfere.
    const privateTmp = mkdtempSync(join(tmpdir(), 'media-video-test-'));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = privateTmp;
    let view: Awaited<ReturnType<typeof openMedia>>;
    try {
      view = await openMedia(bytes);
      // The temp copy is removed as soon as ffprobe/ffmpeg are done with it.
      expect(readdirSync(privateTmp)).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      rmSync(privateTmp, { recursive: true, force: true });
    }
    expect(view.info).toMatchObject({
      kind: 'video',
      format: 'mp4',
      mime: 'video/mp4',
      width: 240,
      height: 320,
      hasAudio: true,
      videoCodec: 'h264',
      audioCodec: 'aac',
      fps: 10,
      frameCount: 30,
      decoder: 'ffmpeg',
    });
    expect(view.info.durationS).toBeCloseTo(3, 1);
    const frames = await view.frames();
    expect(frames.map((f) => f.timeS)).toEqual([0, 1, 2]);
    const first = await frames[0]?.raster();
    expect(first).toMatchObject({ width: 240, height: 320, channels: 3 });
    // view.raster() is the first sampled frame.
    expect(await view.raster({ maxSide: 64 })).toBe(await frames[0]?.raster({ maxSide: 64 }));
    const container = await containerOf(bytes);
    // ffprobe's display-matrix angle (-90 here), normalised to 0..359.
    expect(container.rotation).toBe(270);
    expect(container.tags.creation_time).toBe('2024-05-01T10:00:00.000000Z');
  });

  it('MOV (fast start, piped): QuickTime tags land in metadata().container', async () => {
    const bytes = fixture('faststart.mov');
    expect(needsSeekableInput(bytes, 'mov')).toBe(false);
    const view = await openMedia(bytes);
    expect(view.info).toMatchObject({ format: 'mov', mime: 'video/quicktime', width: 320, height: 180, hasAudio: false });
    const container = await containerOf(bytes);
    expect(container.tags['com.apple.quicktime.make']).toBe('Apple');
    expect(container.tags['com.apple.quicktime.model']).toBe('iPhone 15');
    expect(await view.frames()).toHaveLength(3);
  });

  it('WebM (VP9 + Opus) and Matroska (MPEG-4) through a pipe', async () => {
    const webm = await openMedia(fixture('clip.webm'));
    expect(webm.info).toMatchObject({ format: 'webm', mime: 'video/webm', width: 256, height: 144, videoCodec: 'vp9', audioCodec: 'opus', hasAudio: true });
    // 2.008 s: samples at 0, 1 and 2 s (the last frame is still on screen at 2 s).
    expect((await webm.frames()).map((f) => f.timeS)).toEqual([0, 1, 2]);
    const mkv = await openMedia(fixture('clip.mkv'));
    expect(mkv.info).toMatchObject({ format: 'mkv', mime: 'video/x-matroska', width: 240, height: 160, videoCodec: 'mpeg4', fps: 8, hasAudio: false });
    const frames = await mkv.frames();
    // testsrc2 moves: consecutive samples differ.
    expect(meanAbsDiff(await frames[0]!.raster(), await frames[1]!.raster())).toBeGreaterThan(1);
  });

  it('samples at sampleFps, spreading maxFrames over the whole video when it is longer', async () => {
    const bytes = fixture('twenty-seconds.mp4');
    const all = await (await openMedia(bytes)).frames();
    expect(all).toHaveLength(20);
    expect(all[19]?.timeS).toBe(19);
    const spread = await (await openMedia(bytes, { ...DEFAULT_MEDIA_LIMITS, maxFrames: 5 })).frames();
    expect(spread.map((f) => f.timeS)).toEqual([0, 4, 8, 12, 16]);
    const dense = await (await openMedia(bytes, { ...DEFAULT_MEDIA_LIMITS, sampleFps: 2, maxFrames: 100 })).frames();
    expect(dense).toHaveLength(40);
  });

  it('rejects videos over the duration limit with media.too_long, before decoding', async () => {
    await expect(openMedia(fixture('twenty-seconds.mp4'), { ...DEFAULT_MEDIA_LIMITS, maxVideoSeconds: 10 })).rejects.toMatchObject({
      code: 'media.too_long',
      details: { maxVideoSeconds: 10 },
    });
  });

  it('kills ffmpeg on abort and reports media.timeout; lazy frames surface errors on first use', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(openMedia(fixture('clip.webm'), DEFAULT_MEDIA_LIMITS, { signal: controller.signal })).rejects.toMatchObject({ code: 'media.timeout' });
    const lazy = await openMedia(fixture('clip.webm'), DEFAULT_MEDIA_LIMITS, { eagerFrames: false, decodeTimeoutMs: 1 });
    await expect(lazy.frames()).rejects.toMatchObject({ code: 'media.timeout' });
  });

  it('never enlarges: frames are decoded at most FRAME_SIDE on the long side', async () => {
    const view = await openMedia(fixture('rotated-90.mp4'));
    const big = await view.raster({ maxSide: 4096 });
    expect(Math.max(big.width, big.height)).toBeLessThanOrEqual(FRAME_SIDE);
  });
});

describe('ffprobe output', () => {
  it('tells audio-only containers (unsupported) from broken ones (corrupt)', () => {
    const audio = JSON.stringify({ streams: [{ index: 0, codec_type: 'audio', codec_name: 'aac' }], format: {} });
    expect(() => parseProbe(audio)).toThrow(expect.objectContaining({ code: 'media.unsupported_type' }));
    expect(() => parseProbe(JSON.stringify({ streams: [] }))).toThrow(expect.objectContaining({ code: 'media.corrupt' }));
    expect(() => parseProbe('not json')).toThrow(expect.objectContaining({ code: 'media.corrupt' }));
  });

  it('applies sample aspect ratio and rotation to the display size, ignores cover art', () => {
    const probe = parseProbe(
      JSON.stringify({
        streams: [
          { index: 0, codec_type: 'video', codec_name: 'mjpeg', width: 600, height: 600, disposition: { attached_pic: 1 } },
          {
            index: 1,
            codec_type: 'video',
            codec_name: 'h264',
            width: 720,
            height: 576,
            sample_aspect_ratio: '16:15',
            avg_frame_rate: '25/1',
            side_data_list: [{ side_data_type: 'Display Matrix', rotation: 90 }],
          },
        ],
        format: { duration: '4.0' },
      }),
    );
    expect(probe).toMatchObject({ width: 576, height: 768, rotation: 90, fps: 25, frameCount: 100, videoCodec: 'h264', hasAudio: false });
  });
});

describe.skipIf(!HAVE_SHARED)('videos from tmk-vpdq-videos', () => {
  const dir = join(SHARED, 'tmk-vpdq-videos/videos');
  const files = HAVE_SHARED ? readdirSync(dir).filter((f) => f.endsWith('.mp4')) : [];

  it('opens the sample videos and samples about one frame per second', async () => {
    expect(files.length).toBeGreaterThan(10);
    for (const f of files.slice(0, 4)) {
      const view = await openMedia(shared(`tmk-vpdq-videos/videos/${f}`));
      expect(view.info.kind).toBe('video');
      const frames = await view.frames();
      // The fps filter rounds to the nearest output tick, so a 20.03 s clip yields 20 samples at 1 fps.
      const d = view.info.durationS ?? 0;
      expect(frames.length).toBeGreaterThanOrEqual(Math.min(60, Math.floor(d)));
      expect(frames.length).toBeLessThanOrEqual(Math.min(60, Math.ceil(d)));
      const first = await frames[0]!.raster();
      expect(Math.max(first.width, first.height)).toBeLessThanOrEqual(FRAME_SIDE);
    }
  });
});
