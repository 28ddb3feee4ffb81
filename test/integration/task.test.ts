import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_DATA, HAS_FFMPEG, makeVideo, photo } from '../unit/detectors/task/helpers.ts';

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
