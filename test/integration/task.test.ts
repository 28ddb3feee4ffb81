import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA, HAS_DATA, HAS_FFMPEG, makeVideo, photo } from '../unit/detectors/task/helpers.ts';

/**
 * The example end to end through the real CLI: "a video of yourself taking out the trash".
 * Test videos are built with ffmpeg from real photos (dog.jpg: a dog, no person; person.jpg: a person).
 */

const run = promisify(execFile);
const BIN = join(process.cwd(), 'bin/tollgate.js');
const work = mkdtempSync(join(tmpdir(), 'tollgate-task-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Report {
  file: string;
  signals: { code: string; severity: string; message: string; evidence?: Record<string, unknown> }[];
  verdict: { decision: string; reasons: string[] };
}

async function tollgate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd: work, env: { ...process.env, TOLLGATE_DATA_DIR: join(work, '.tollgate') }, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const taskSignals = (r: Report) => r.signals.filter((s) => s.code.startsWith('task.'));

describe.skipIf(!HAS_DATA || !HAS_FFMPEG)('the trash task end to end', () => {
  const file = (name: string) => join(work, name);
  beforeAll(() => {
    writeFileSync(file('dog.mp4'), makeVideo([photo('dog.jpg')], { secondsEach: 4 }));
    writeFileSync(file('person.mp4'), makeVideo([photo('person.jpg')], { secondsEach: 4 }));
    writeFileSync(file('short-person.mp4'), makeVideo([photo('person.jpg')], { secondsEach: 2 }));
    writeFileSync(file('trash.json'), JSON.stringify({ media: 'video', min_duration_s: 3, require_objects: ['person'], text: 'a video of yourself taking out the trash' }));
    writeFileSync(file('typo.json'), JSON.stringify({ media: 'video', require_objects: ['persn'] }));
    writeFileSync(file('self.json'), JSON.stringify({ media: 'video', self: true, max_people: 1 }));
    // A real video of one person: the selfie is its first frame, the upload the same person from 2 s on.
    const video = join(DATA, 'near-duplicates/augly-transforms/video/small_input_1.mp4');
    for (const args of [['-i', video, '-frames:v', '1', file('selfie.png')], ['-ss', '2', '-i', video, '-an', '-c:v', 'libx264', '-preset', 'ultrafast', file('me.mp4')]]) {
      expect(spawnSync('ffmpeg', ['-v', 'error', '-y', ...args]).status).toBe(0);
    }
    writeFileSync(file('stranger.mp4'), makeVideo([join(DATA, 'near-duplicates/augly-transforms/inputs/dfdc_1.jpg')], { secondsEach: 3 }));
  });

  it('inspect --selfie: the enrolled person passes the self check, a different person is rejected', async () => {
    const args = (name: string) => ['inspect', file(name), '--task', file('self.json'), '--selfie', file('selfie.png'), '--json'];
    const me = JSON.parse((await tollgate(args('me.mp4'))).stdout) as Report;
    expect(taskSignals(me)).toEqual([]);
    const stranger = JSON.parse((await tollgate(args('stranger.mp4'))).stdout) as Report;
    expect(stranger.verdict.decision).toBe('reject');
    expect(taskSignals(stranger).map((s) => s.code)).toEqual(['task.self_mismatch']);
    const noFace = await tollgate(['inspect', file('me.mp4'), '--task', file('self.json'), '--selfie', file('dog.mp4')]);
    expect(noFace.code).toBe(2);
    expect(noFace.stderr).toContain('no face found in the enrolment selfie');
  });

  it('inspect rejects the dog video with the reason', async () => {
    const { code, stdout } = await tollgate(['inspect', file('dog.mp4'), '--task', file('trash.json'), '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as Report;
    expect(report.verdict.decision).toBe('reject');
    expect(report.verdict.reasons[0]).toBe('task.missing_object');
    const [missing] = taskSignals(report);
    expect(missing!.message).toMatch(/^task needs a person; found: .*dog \(0\.\d\d\).*, no person/);
  });

  it('inspect: the person video meets the structural and object requirements', async () => {
    const report = JSON.parse((await tollgate(['inspect', file('person.mp4'), '--task', file('trash.json'), '--json'])).stdout) as Report;
    expect(taskSignals(report)).toEqual([]);
    expect(report.verdict.reasons.filter((r) => r.startsWith('task.'))).toEqual([]);
    const short = JSON.parse((await tollgate(['inspect', file('short-person.mp4'), '--task', file('trash.json'), '--json'])).stdout) as Report;
    expect(taskSignals(short).map((s) => s.message)).toEqual(['task asks for at least 3.0 s of video; this one is 2.0 s']);
    expect(short.verdict.decision).toBe('reject');
  });

  it('inspect and scan refuse a task file with a typo, naming the field and the likely label', async () => {
    const inspected = await tollgate(['inspect', file('dog.mp4'), '--task', file('typo.json'), '--json']);
    expect(inspected.code).toBe(2);
    expect(inspected.stderr).toContain('require_objects.0: "persn" is not a COCO object label; did you mean "person"?');
    const scanned = await tollgate(['scan', file('dog.mp4'), '--task', file('typo.json'), '--json']);
    expect(scanned.code).toBe(2);
  });

  it('scan (store, queue, workers) rejects the dog and not for the person', async () => {
    const { code, stdout } = await tollgate(['scan', file('dog.mp4'), file('person.mp4'), '--task', file('trash.json'), '--contributor', 'alice', '--json']);
    expect(code).toBe(0);
    const reports = stdout.trim().split('\n').map((l) => JSON.parse(l) as Report);
    const dog = reports.find((r) => r.file.endsWith('dog.mp4'))!;
    const person = reports.find((r) => r.file.endsWith('person.mp4'))!;
    expect(dog.verdict.decision).toBe('reject');
    expect(dog.verdict.reasons).toContain('task.missing_object');
    expect(taskSignals(person)).toEqual([]);
  });
});
