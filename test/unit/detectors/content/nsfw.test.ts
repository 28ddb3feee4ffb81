import { describe, expect, it, vi } from 'vitest';
import { openMedia } from '../../../../src/media/open.ts';
import { builtInDetectors } from '../../../../src/detectors/catalogue.ts';
import { createNsfwDetector, nsfwDetector } from '../../../../src/detectors/content/nsfw.ts';
import { NSFW_CLASSES, type NsfwProbabilities } from '../../../../src/vision/nsfw.ts';
import { data, HAS_DATA, run, videoView } from '../quality/helpers.ts';

/** Safe real photos: animals, people (faces, portraits), a street, text. None is nudity. */
const SAFE = [
  'object-photos/dog.jpg',
  'object-photos/person.jpg',
  'object-photos/horses.jpg',
  'object-photos/kite.jpg',
  'near-duplicates/augly-transforms/inputs/dfdc_1.jpg',
  'immich-test-assets/metadata/faces/portrait.jpg',
  'immich-test-assets/albums/text/craft-beer.jpg',
  'exif-camera-samples/images/jpg/exif-org/canon-ixus.jpg',
];

describe.skipIf(!HAS_DATA)('content.nsfw (nsfwjs MobileNetV2 on tfjs WASM, model from the package)', () => {
  it('returns the five class probabilities for real photos and flags none of the safe ones', async () => {
    const fetchSpy = vi.spyOn(globalThis, 'fetch');
    const probabilities: NsfwProbabilities[] = [];
    const detector = createNsfwDetector(async (frame) => {
      const { classifyNsfw } = await import('../../../../src/vision/nsfw.ts');
      const p = await classifyNsfw(await frame.raster({ exact: { width: 224, height: 224 } }));
      probabilities.push(p);
      return p;
    });
    for (const rel of SAFE) expect(await run(detector, await openMedia(data(rel))), rel).toEqual([]);
    expect(probabilities).toHaveLength(SAFE.length);
    for (const p of probabilities) {
      expect(Object.keys(p).sort()).toEqual([...NSFW_CLASSES].sort());
      const sum = NSFW_CLASSES.reduce((a, c) => a + p[c], 0);
      expect(sum).toBeGreaterThan(0.98);
      expect(sum).toBeLessThan(1.02);
      expect(p.Porn + p.Hentai).toBeLessThan(0.5);
    }
    // Real photos are mostly Neutral; the model is not answering a constant.
    expect(probabilities.filter((p) => p.Neutral > 0.5).length).toBeGreaterThanOrEqual(SAFE.length - 2);
    expect(new Set(probabilities.map((p) => p.Neutral)).size).toBeGreaterThan(3);
    expect(fetchSpy).not.toHaveBeenCalled();
    fetchSpy.mockRestore();
  }, 120_000);

  it('the default detector runs the same model end to end', async () => {
    expect(await run(nsfwDetector, await openMedia(data('object-photos/giraffe.jpg')))).toEqual([]);
  }, 120_000);
});

describe('content.nsfw in the catalogue', () => {
  it('is off unless the deployment enables it', () => {
    expect(builtInDetectors().map((d) => d.name)).not.toContain('content.nsfw');
    expect(builtInDetectors({ nsfw: true }).map((d) => d.name)).toContain('content.nsfw');
  });
});

describe('content.nsfw thresholds (injected classifier: no explicit images in the repository)', () => {
  const p = (over: Partial<NsfwProbabilities>): NsfwProbabilities => ({ Drawing: 0, Hentai: 0, Neutral: 1, Porn: 0, Sexy: 0, ...over });

  it('reports explicit content by severity and names the worst video frame', async () => {
    const frames = [p({}), p({ Neutral: 0.1, Porn: 0.85, Sexy: 0.05 }), p({ Neutral: 0.4, Porn: 0.6 })];
    let i = 0;
    const detector = createNsfwDetector(async () => frames[i++ % frames.length]!);
    const video = await videoView([data('object-photos/dog.jpg'), data('object-photos/kite.jpg'), data('object-photos/horses.jpg')]);
    const [signal] = await run(detector, video);
    expect(signal).toMatchObject({ code: 'content.nsfw', severity: 'high', score: 0.85 });
    expect(signal!.message).toMatch(/explicit content \(porn 85%, hentai 0%\) in the frame at 1\.0s \(3 frames checked\)/);
  });

  it('keeps suggestive content low and ignores it below 0.8', async () => {
    const view = await openMedia(data('object-photos/dog.jpg'));
    expect(await run(createNsfwDetector(async () => p({ Neutral: 0.3, Sexy: 0.7 })), view)).toEqual([]);
    const [low] = await run(createNsfwDetector(async () => p({ Neutral: 0.1, Sexy: 0.9 })), view);
    expect(low).toMatchObject({ severity: 'low' });
    const [medium] = await run(createNsfwDetector(async () => p({ Neutral: 0.4, Porn: 0.3, Hentai: 0.3 })), view);
    expect(medium).toMatchObject({ severity: 'medium', score: 0.6 });
  });
});
