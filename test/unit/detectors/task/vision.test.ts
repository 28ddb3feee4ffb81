import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTaskVisionDetector } from '../../../../src/detectors/task/vision.ts';
import type { DetectorLookups, EnrolledFace } from '../../../../src/detectors/types.ts';
import { enrolFace } from '../../../../src/vision/enrol.ts';
import { defaultVisionService, type VisionService } from '../../../../src/vision/service.ts';
import { codes, contextFor, DATA, HAS_DATA, HAS_FFMPEG, makeVideo, open, photo, run } from './helpers.ts';

const TRASH = { media: 'video', min_duration_s: 3, require_objects: ['person'], text: 'a video of yourself taking out the trash' };
const detector = createTaskVisionDetector();
const DFDC_1 = path.join(DATA, 'near-duplicates/augly-transforms/inputs/dfdc_1.jpg');
const SMALL_VIDEO = path.join(DATA, 'near-duplicates/augly-transforms/video/small_input_1.mp4');

/** ffmpeg cut of a real video: a still at `at` seconds (PNG) or the clip from `from` seconds on (MP4). */
function ffmpeg(args: string[], ext: string): Buffer {
  const dir = mkdtempSync(path.join(tmpdir(), 'tollgate-self-'));
  const out = path.join(dir, `out.${ext}`);
  try {
    const r = spawnSync('ffmpeg', ['-v', 'error', '-y', ...args, out]);
    if (r.status !== 0) throw new Error(r.stderr.toString());
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function enrolledLookups(faces: EnrolledFace[]): DetectorLookups {
  return { uploadsBySha256: async () => [], enrolledFaces: async (id) => (id === 'alice' ? faces : []) };
}

describe('task.vision without vision requirements', () => {
  it('never loads the models', async () => {
    let calls = 0;
    const counting: VisionService = { analyse: async () => { calls++; throw new Error('should not run'); } };
    const lazy = createTaskVisionDetector(() => counting);
    const view = await open(readFileSync(photo('dog.jpg')));
    expect(await lazy.detect(view, contextFor(undefined))).toEqual([]);
    expect(await lazy.detect(view, contextFor({ media: 'video', min_duration_s: 3 }))).toEqual([]);
    expect(calls).toBe(0);
  });
});

describe.skipIf(!HAS_DATA || !HAS_FFMPEG)('task.vision on real photos and ffmpeg videos', () => {
  it('rejects the dog video for the trash task with the reason', async () => {
    const dogVideo = await open(makeVideo([photo('dog.jpg')], { secondsEach: 4 }));
    const [signal, ...rest] = await run(detector, dogVideo, contextFor(TRASH));
    expect(rest).toEqual([]);
    expect(signal).toMatchObject({ code: 'task.missing_object', severity: 'high' });
    expect(signal!.message).toMatch(/^task needs a person; found: .*dog \(0\.\d\d\).*, no person( \(best guess 0\.\d\d, below 0\.35\))?$/);
    expect(signal!.evidence).toMatchObject({ required: 'person', frames_with_object: 0, frames_analysed: 4 });
  });

  it('passes a person video, and asks for review when the person shows too briefly', async () => {
    const personVideo = await open(makeVideo([photo('person.jpg')], { secondsEach: 4 }));
    expect(await run(detector, personVideo, contextFor(TRASH))).toEqual([]);
    // The person shows in a third of the video; this task wants them in 90 % of the frames.
    const brief = await open(makeVideo([photo('dog.jpg'), photo('person.jpg'), photo('horses.jpg')], { secondsEach: 3 }));
    const mixed = await run(detector, brief, contextFor({ ...TRASH, min_object_fraction: 0.9 }));
    expect(mixed[0]).toMatchObject({ code: 'task.missing_object', severity: 'medium' });
    expect(mixed[0]!.message).toMatch(/^task needs a person throughout; it shows in \d of \d+ frames \(needs \d+\)$/);
  });

  it('flags forbidden objects and too many people on photos', async () => {
    const dog = await open(readFileSync(photo('dog.jpg')));
    const [forbidden] = await run(detector, dog, contextFor({ forbid_objects: ['dog'] }));
    expect(forbidden).toMatchObject({ code: 'task.forbidden_object' });
    expect(forbidden!.message).toMatch(/^task forbids a dog; found dog \(0\.\d\d\)$/);
    const kites = await open(readFileSync(photo('kite.jpg')));
    const [crowd] = await run(detector, kites, contextFor({ max_people: 1 }));
    expect(crowd).toMatchObject({ code: 'task.too_many_people', severity: 'high' });
    expect(crowd!.message).toMatch(/^task allows at most 1 person; found \d+$/);
    expect(await run(detector, kites, contextFor({ max_people: 50, require_objects: ['kite'] }))).toEqual([]);
  });

  it('self: no face, not enrolled, the enrolled person passes, a different person fails', async () => {
    const selfTask = { media: 'video', self: true };
    const dogVideo = await open(makeVideo([photo('dog.jpg')], { secondsEach: 2 }));
    expect(codes(await run(detector, dogVideo, contextFor(selfTask, { contributorId: 'alice' })))).toEqual(['task.self_missing']);

    // Enrol from the first frame of a real video; the upload is the same person later in that video.
    const selfie = await open(ffmpeg(['-i', SMALL_VIDEO, '-frames:v', '1'], 'png'));
    const enrolled = await enrolFace(selfie, defaultVisionService());
    const lookups = enrolledLookups([enrolled]);
    const later = await open(ffmpeg(['-ss', '2', '-i', SMALL_VIDEO, '-c:v', 'libx264', '-preset', 'ultrafast', '-an'], 'mp4'));
    expect(await run(detector, later, contextFor(selfTask, { contributorId: 'alice' }, lookups))).toEqual([]);

    const stranger = await open(makeVideo([DFDC_1], { secondsEach: 2 }));
    const [mismatch] = await run(detector, stranger, contextFor(selfTask, { contributorId: 'alice' }, lookups));
    expect(mismatch).toMatchObject({ code: 'task.self_mismatch', severity: 'high' });
    expect(mismatch!.message).toMatch(/^the face in the upload does not match the contributor's enrolled face \(similarity 0\.\d\d < 0\.6\)$/);

    const [unchecked] = await run(detector, stranger, contextFor(selfTask, { contributorId: 'bob' }, lookups));
    expect(unchecked).toMatchObject({ code: 'task.self_not_enrolled', severity: 'medium' });
    const [otherModel] = await run(detector, later, contextFor(selfTask, { contributorId: 'alice' }, enrolledLookups([{ ...enrolled, model: 'arcface-1' }])));
    expect(otherModel!.message).toContain('another model (arcface-1)');
  });
});
