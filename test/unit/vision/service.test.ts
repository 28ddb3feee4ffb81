import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { openMedia } from '../../../src/media/open.ts';
import { enrolFace } from '../../../src/vision/enrol.ts';
import { cosineSimilarity } from '../../../src/vision/faces.ts';
import { HumanVisionService, pickFrames, VISION_MAX_FRAMES } from '../../../src/vision/service.ts';
import { DATA, HAS_DATA, HAS_FFMPEG, makeVideo, photo } from '../detectors/task/helpers.ts';

const labels = (objects: readonly { label: string; score: number }[], min = 0.35) => [...new Set(objects.filter((o) => o.score >= min).map((o) => o.label))].sort();

describe('pickFrames', () => {
  it('spreads picks evenly and keeps the ends', () => {
    expect(pickFrames([0, 1, 2], 8)).toEqual([0, 1, 2]);
    expect(pickFrames([...Array(20).keys()], 5)).toEqual([0, 5, 10, 14, 19]);
    expect(pickFrames([...Array(20).keys()], 1)).toEqual([0]);
  });
});

describe.skipIf(!HAS_DATA)('vision service (human on tfjs WASM, models from disk)', () => {
  const fetchSpy = vi.spyOn(globalThis, 'fetch');
  const listeners = { uncaught: process.listenerCount('uncaughtException'), rejection: process.listenerCount('unhandledRejection') };
  const service = new HumanVisionService();
  afterAll(() => fetchSpy.mockRestore());

  it('finds the dog and no person in dog.jpg, a person in person.jpg', async () => {
    const dog = await service.analyse(await openMedia(readFileSync(photo('dog.jpg'))));
    expect(dog.model).toBe('human-3.3.6');
    expect(dog.frames).toHaveLength(1);
    expect(labels(dog.frames[0]!.objects)).toContain('dog');
    expect(labels(dog.frames[0]!.objects)).not.toContain('person');
    const person = await service.analyse(await openMedia(readFileSync(photo('person.jpg'))));
    expect(labels(person.frames[0]!.objects)).toEqual(expect.arrayContaining(['person', 'dog']));
    // Nothing was fetched (models and WASM come from disk) and the WASM glue's process listeners are gone.
    expect(fetchSpy).not.toHaveBeenCalled();
    expect(process.listenerCount('uncaughtException')).toBe(listeners.uncaught);
    expect(process.listenerCount('unhandledRejection')).toBe(listeners.rejection);
  });

  it('describes faces with 1024-d descriptors on a 640 px raster', async () => {
    const view = await openMedia(readFileSync(path.join(DATA, 'near-duplicates/augly-transforms/inputs/dfdc_1.jpg')));
    const result = await service.analyse(view);
    expect(result.frames[0]!.width).toBe(640);
    const faces = result.frames[0]!.faces;
    expect(faces).toHaveLength(1);
    expect(faces[0]!.descriptor).toHaveLength(1024);
    // Cached per view: the second call is the same promise, the models do not run again.
    expect(service.analyse(view)).toBe(service.analyse(view));
    const flipped = await service.analyse(await openMedia(readFileSync(path.join(DATA, 'near-duplicates/augly-transforms/expected_output/test_hflip.png'))));
    expect(cosineSimilarity(faces[0]!.descriptor!, flipped.frames[0]!.faces[0]!.descriptor!)).toBeGreaterThan(0.8);
  });

  it('runs only the models a caller needs, and a full result serves any subset', async () => {
    const bytes = readFileSync(path.join(DATA, 'near-duplicates/augly-transforms/inputs/dfdc_1.jpg'));
    const objectsOnly = await service.analyse(await openMedia(bytes), undefined, { objects: true, faces: false });
    expect(labels(objectsOnly.frames[0]!.objects)).toContain('person');
    expect(objectsOnly.frames[0]!.faces).toEqual([]);
    const facesOnly = await service.analyse(await openMedia(bytes), undefined, { objects: false, faces: true });
    expect(facesOnly.frames[0]!.objects).toEqual([]);
    expect(facesOnly.frames[0]!.faces[0]!.descriptor).toHaveLength(1024);
    // The next full analysis switches every model back on (human keeps a call's config).
    const view = await openMedia(bytes);
    const full = await service.analyse(view);
    expect(labels(full.frames[0]!.objects)).toContain('person');
    expect(full.frames[0]!.faces).toHaveLength(1);
    expect(service.analyse(view, undefined, { objects: false, faces: true })).toBe(service.analyse(view));
  });

  it('enrols the largest face, refuses a selfie without a face', async () => {
    const enrolled = await enrolFace(await openMedia(readFileSync(path.join(DATA, 'near-duplicates/augly-transforms/inputs/dfdc_1.jpg'))), service);
    expect(enrolled.descriptor).toHaveLength(1024);
    expect(enrolled.model).toBe('human-3.3.6');
    await expect(enrolFace(await openMedia(readFileSync(photo('dog.jpg'))), service)).rejects.toMatchObject({ code: 'input.invalid' });
  });

  it.skipIf(!HAS_FFMPEG)('analyses at most VISION_MAX_FRAMES frames of a video', async () => {
    const video = makeVideo([photo('dog.jpg'), photo('person.jpg')], { secondsEach: 6 });
    const result = await service.analyse(await openMedia(video));
    expect(result.availableFrames).toBe(12);
    expect(result.frames).toHaveLength(VISION_MAX_FRAMES);
    const withPerson = result.frames.filter((f) => labels(f.objects).includes('person')).map((f) => f.timeS);
    expect(withPerson.every((t) => t >= 6)).toBe(true);
    expect(withPerson.length).toBeGreaterThanOrEqual(3);
  });
});
