import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAiDetectorModel } from '../../src/detectors/ai/index.ts';

const run = promisify(execFile);
const BIN = join(process.cwd(), 'bin/tollgate.js');
const CIFAKE = join(process.cwd(), '../shared/data/cifake-subset');
const work = mkdtempSync(join(tmpdir(), 'tollgate-train-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('tollgate train ai-detector', () => {
  it('trains from a labelled folder, writes a versioned model, and inspect uses it through TOLLGATE_AI_MODEL', async () => {
    // 40 of each class keep the test fast; the full evaluation lives in eval/ai.ts.
    const rows = readFileSync(join(CIFAKE, 'labels.csv'), 'utf8').trim().split('\n').slice(1);
    const pick = [...rows.filter((r) => r.includes(',fake,')).slice(0, 40), ...rows.filter((r) => r.includes(',real,')).slice(0, 40)];
    const labels = join(work, 'labels.csv');
    writeFileSync(labels, `file,label\n${pick.map((r) => r.split(',').slice(0, 2).join(',')).join('\n')}\n`);
    const out = join(work, 'model.json');
    const env = { ...process.env, TOLLGATE_DATA_DIR: join(work, '.tollgate') };
    const trained = await run(process.execPath, [BIN, 'train', 'ai-detector', '--data', CIFAKE, '--labels', labels, '--out', out, '--json'], { env });
    const summary = JSON.parse(trained.stdout);
    expect(summary.trained_on).toMatchObject({ ai: 40, real: 40 });
    expect(summary.train.auc).toBeGreaterThan(0.5);
    const model = loadAiDetectorModel(JSON.parse(readFileSync(out, 'utf8')));
    expect(model.version).toBe(summary.version);

    const photo = join(process.cwd(), '../shared/data/object-photos/eagle.jpg');
    const inspected = await run(process.execPath, [BIN, 'inspect', photo, '--json'], { env: { ...env, TOLLGATE_AI_MODEL: out } });
    expect(JSON.parse(inspected.stdout).verdict).toBeDefined();
    const broken = join(work, 'broken.json');
    writeFileSync(broken, '{"kind":"something else"}');
    await expect(run(process.execPath, [BIN, 'inspect', photo, '--json'], { env: { ...env, TOLLGATE_AI_MODEL: broken } })).rejects.toMatchObject({
      stderr: expect.stringContaining('invalid AI classifier model'),
    });
  }, 120_000);
});
