import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { openMedia } from '../../../../src/media/open.ts';
import {
  blankDetector,
  BLUR_THRESHOLD,
  blurryDetector,
  createTooSmallDetector,
  frozenDetector,
  letterboxedDetector,
  overexposedDetector,
  qualityDetectors,
  tooSmallDetector,
} from '../../../../src/detectors/quality/index.ts';
import { data, DATA, ffmpegFrames, HAS_DATA, HAS_FFMPEG, run, solid, stillToVideoFrames, videoFileFromStill, videoView } from './helpers.ts';

const PHOTOS = ['dog', 'person', 'horses', 'kite', 'eagle', 'giraffe'].map((n) => `object-photos/${n}.jpg`);

/** A real photo scaled to 1024 px and blurred, as in the calibration (docs/eval-quality.md). */
async function blurredPhoto(rel: string, sigma: number): Promise<Buffer> {
  return sharp(data(rel)).rotate().resize(1024, 1024, { fit: 'inside', withoutEnlargement: true }).blur(sigma).jpeg({ quality: 92 }).toBuffer();
}

describe('qualityDetectors', () => {
  it('exports the quality detectors with unique names and quality.* codes', () => {
    expect(qualityDetectors.map((d) => d.name)).toEqual([
      'quality.blank',
      'quality.too_small',
      'quality.blurry',
      'quality.overexposed',
      'quality.frozen',
      'quality.letterboxed',
      'quality.screenshot',
      'quality.screen_recapture',
    ]);
    for (const d of qualityDetectors) {
      expect(d.codes).toEqual([d.name]);
      expect(d.kinds.length).toBeGreaterThan(0);
    }
    expect(frozenDetector.kinds).toEqual(['video']);
  });

  it.skipIf(!HAS_DATA)('raises nothing on real, decent photos', async () => {
    for (const rel of PHOTOS) {
      const view = await openMedia(data(rel));
      for (const d of qualityDetectors.filter((q) => q.kinds.includes('image'))) {
        expect(await run(d, view), `${d.name} on ${rel}`).toEqual([]);
      }
    }
  });
});

describe('quality.blank', () => {
  it('flags black, white and single-colour images, with numbers in the message', async () => {
    const black = await run(blankDetector, await openMedia(await solid(640, 480, [0, 0, 0])));
    expect(black).toHaveLength(1);
    expect(black[0]).toMatchObject({ code: 'quality.blank', severity: 'high' });
    expect(black[0]!.score).toBeGreaterThan(0.95);
    expect(black[0]!.message).toMatch(/^image is black: luminance std-dev 0/);
    expect(black[0]!.evidence).toMatchObject({ mean: expect.any(Number), std: expect.any(Number) });
    expect((await run(blankDetector, await openMedia(await solid(300, 300, [255, 255, 255]))))[0]!.message).toMatch(/white/);
    expect((await run(blankDetector, await openMedia(await solid(300, 300, [200, 30, 30]))))[0]!.message).toMatch(/uniform \(mean luminance/);
  });

  it('still flags a noisy black frame and one with a small timestamp burned in', async () => {
    expect(await run(blankDetector, await openMedia(await solid(640, 480, [6, 6, 6], 2)))).toHaveLength(1);
    const stamp = await sharp(Buffer.from('<svg width="200" height="30"><rect width="200" height="30" fill="white"/></svg>')).png().toBuffer();
    const stamped = await sharp(await solid(640, 480, [0, 0, 0])).composite([{ input: stamp, left: 420, top: 440 }]).jpeg().toBuffer();
    expect(await run(blankDetector, await openMedia(stamped))).toHaveLength(1);
  });

  it('reports which video frames are blank, scoring a partly blank video lower', async () => {
    const black = await solid(320, 240, [0, 0, 0]);
    const busy = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#777', noise: { type: 'gaussian', mean: 128, sigma: 60 } } }).jpeg().toBuffer();
    const partly = await run(blankDetector, await videoView([black, busy, busy, busy]));
    expect(partly).toHaveLength(1);
    expect(partly[0]!.message).toBe('1 of 4 sampled frames are blank at 0s (luminance std-dev ≤ 0)');
    expect(partly[0]!.evidence).toMatchObject({ blankFrames: [{ index: 0, timeS: 0 }], sampledFrames: 4, blankFraction: 0.25 });
    const all = await run(blankDetector, await videoView([black, black, black]));
    expect(all[0]!.message).toMatch(/^all 3 sampled frames are black/);
    expect(all[0]!.score).toBeGreaterThan(partly[0]!.score);
    expect(await run(blankDetector, await videoView([busy, busy]))).toEqual([]);
  });
});

describe('quality.too_small', () => {
  it('flags thumbnails by short side and pixel count; the factory takes other limits', async () => {
    const thumb = await openMedia(await solid(120, 90, [90, 120, 30], 30));
    const [s] = await run(tooSmallDetector, thumb);
    expect(s).toMatchObject({ code: 'quality.too_small', severity: 'high', evidence: { width: 120, height: 90, shortSide: 90, minShortSide: 256 } });
    expect(s!.message).toBe('image is 120×90: short side 90 px < 256 px, 0.011 MP < 0.066 MP');
    expect(s!.score).toBeCloseTo(0.5 + 0.5 * (1 - (120 * 90) / 65536), 3);
    const ok = await openMedia(await solid(256, 256, [90, 120, 30], 30));
    expect(await run(tooSmallDetector, ok)).toEqual([]);
    const strict = createTooSmallDetector({ minShortSide: 300, minPixels: 1_000_000 });
    expect((await run(strict, ok))[0]!.message).toMatch(/short side 256 px < 300 px, 0.066 MP < 1 MP/);
  });

  it.skipIf(!HAS_DATA)('flags a real 68 px camera thumbnail as high', async () => {
    const [s] = await run(tooSmallDetector, await openMedia(data('exif-camera-samples/images/jpg/Canon_40D.jpg')));
    expect(s!.severity).toBe('high');
    expect(s!.score).toBeGreaterThan(0.9);
  });
});

describe.skipIf(!HAS_DATA)('quality.blurry (calibrated threshold)', () => {
  it('does not flag the original photos but flags σ 3 and σ 8 blurs of each', async () => {
    for (const rel of PHOTOS) {
      expect(await run(blurryDetector, await openMedia(data(rel))), rel).toEqual([]);
      for (const sigma of [3, 8]) {
        const signals = await run(blurryDetector, await openMedia(await blurredPhoto(rel, sigma)));
        expect(signals, `${rel} σ${sigma}`).toHaveLength(1);
        expect(signals[0]!.score).toBeGreaterThan(0.5);
        expect(signals[0]!.evidence!.sharpness).toBeLessThan(BLUR_THRESHOLD);
      }
    }
    const [heavy] = await run(blurryDetector, await openMedia(await blurredPhoto('object-photos/dog.jpg', 8)));
    expect(heavy!.severity).toBe('high');
    expect(heavy!.message).toMatch(/^image is blurry: sharpness 0\.0\d+ \(blurry below 0\.056/);
  });

  it('flags the held-out AugLy random blur', async () => {
    const signals = await run(blurryDetector, await openMedia(data('near-duplicates/augly-transforms/expected_output/test_RandomBlur.png')));
    expect(signals).toHaveLength(1);
  });

  it('leaves blank images to quality.blank', async () => {
    expect(await run(blurryDetector, await openMedia(await solid(640, 480, [0, 0, 0])))).toEqual([]);
  });

  it('uses the median over video frames: one motion-blurred frame is fine, a blurry video is not', async () => {
    const sharpFrame = data('object-photos/horses.jpg');
    const soft = await blurredPhoto('object-photos/horses.jpg', 5);
    expect(await run(blurryDetector, await videoView([sharpFrame, soft, sharpFrame]))).toEqual([]);
    const [s] = await run(blurryDetector, await videoView([soft, soft, sharpFrame]));
    expect(s!.message).toMatch(/^2 of 3 sampled frames are blurry/);
    expect(s!.evidence!.frames).toHaveLength(3);
  });
});

describe.skipIf(!HAS_DATA)('quality.overexposed', () => {
  it('flags a real photo pushed 2 stops over, not the original, not an all-white frame', async () => {
    const over = await sharp(data('object-photos/person.jpg')).linear(4, 0).jpeg().toBuffer();
    const [s] = await run(overexposedDetector, await openMedia(over));
    expect(s).toMatchObject({ code: 'quality.overexposed', severity: 'high' });
    expect(s!.message).toMatch(/^\d+(\.\d)?% of the image is clipped white \(luminance ≥ 250; overexposed from 25%\)/);
    expect(s!.evidence!.clippedFraction).toBeGreaterThan(0.5);
    expect(await run(overexposedDetector, await openMedia(data('object-photos/person.jpg')))).toEqual([]);
    expect(await run(overexposedDetector, await openMedia(await solid(300, 300, [255, 255, 255])))).toEqual([]);
  });
});

describe.skipIf(!HAS_DATA || !HAS_FFMPEG)('quality.frozen on real video', () => {
  it('flags a still photo encoded as an H.264 clip', async () => {
    const frames = stillToVideoFrames(path.join(DATA, 'object-photos/giraffe.jpg'));
    expect(frames.length).toBeGreaterThanOrEqual(4);
    const [s] = await run(frozenDetector, await videoView(frames));
    expect(s).toMatchObject({ code: 'quality.frozen' });
    expect(s!.score).toBeGreaterThan(0.8);
    expect(s!.message).toMatch(/^all \d+ sampled frames from 0s to \d+s are the same picture: largest frame-to-frame difference \d\.\d\d grey levels/);
  });

  it('does not flag real phone footage, short clips or all-black clips', async () => {
    for (const v of ['chair-19-sd-bar', 'doorknob-hd-no-bar', 'pattern-hd-no-bar']) {
      const frames = ffmpegFrames(path.join(DATA, `tmk-vpdq-videos/videos/${v}.mp4`));
      expect(await run(frozenDetector, await videoView(frames)), v).toEqual([]);
    }
    const photo = data('object-photos/giraffe.jpg');
    expect(await run(frozenDetector, await videoView([photo, photo]))).toEqual([]);
    const black = await solid(320, 240, [0, 0, 0]);
    expect(await run(frozenDetector, await videoView([black, black, black, black]))).toEqual([]);
  });
});

describe.skipIf(!HAS_DATA)('quality.letterboxed', () => {
  it('finds letterbox bars added to a real photo, with sizes in original pixels', async () => {
    const padded = await sharp(data('object-photos/dog.jpg')).extend({ top: 60, bottom: 60, background: '#000' }).jpeg().toBuffer();
    const view = await openMedia(padded);
    const [s] = await run(letterboxedDetector, view);
    expect(s).toMatchObject({ code: 'quality.letterboxed', evidence: { kind: 'letterbox' } });
    const bars = s!.evidence!.barsPx as { top: number; bottom: number };
    expect(Math.abs(bars.top - 60)).toBeLessThanOrEqual(4);
    expect(Math.abs(bars.bottom - 60)).toBeLessThanOrEqual(4);
    expect(s!.message).toMatch(/^letterbox: black bars top \d+ px and bottom \d+ px; the picture fills \d+(\.\d)?% of the 768×\d+ frame$/);
  });

  it('ignores a dark band on one side only', async () => {
    const oneSide = await sharp(data('object-photos/dog.jpg')).extend({ top: 80, background: '#000' }).jpeg().toBuffer();
    expect(await run(letterboxedDetector, await openMedia(oneSide))).toEqual([]);
  });

  it.skipIf(!HAS_FFMPEG)('finds the pillarbox of the TMK "bar" videos, not in the "no-bar" ones', async () => {
    const bar = ffmpegFrames(path.join(DATA, 'tmk-vpdq-videos/videos/chair-19-sd-bar.mp4'));
    const [s] = await run(letterboxedDetector, await videoView(bar));
    expect(s).toMatchObject({ evidence: { kind: 'pillarbox' } });
    expect(s!.message).toMatch(/in \d+ of \d+ sampled frames/);
    const px = s!.evidence!.barsPx as { left: number; right: number };
    expect(px.left).toBeGreaterThan(20);
    expect(px.right).toBeGreaterThan(20);
    for (const v of ['doorknob-hd-no-bar', 'pattern-hd-no-bar']) {
      expect(await run(letterboxedDetector, await videoView(ffmpegFrames(path.join(DATA, `tmk-vpdq-videos/videos/${v}.mp4`)))), v).toEqual([]);
    }
  });
});

describe.skipIf(!HAS_DATA || !HAS_FFMPEG)('quality detectors on videos opened by openMedia', () => {
  it('a real pillarboxed phone clip: letterboxed, not frozen, not blank', async () => {
    const view = await openMedia(data('tmk-vpdq-videos/videos/chair-19-sd-bar.mp4'));
    expect(view.info.kind).toBe('video');
    expect((await run(letterboxedDetector, view))[0]).toMatchObject({ evidence: { kind: 'pillarbox' } });
    expect(await run(frozenDetector, view)).toEqual([]);
    expect(await run(blankDetector, view)).toEqual([]);
  });

  it('a photo encoded as a clip: frozen', async () => {
    const view = await openMedia(videoFileFromStill(path.join(DATA, 'object-photos/giraffe.jpg')));
    expect((await run(frozenDetector, view))[0]).toMatchObject({ code: 'quality.frozen' });
  });
});
