import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAiDetectorModel } from '../../src/detectors/ai/index.ts';
import { openMedia } from '../../src/media/open.ts';
import { meanColourClassifier } from '../support/onnx-model.ts';

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

  it('plugs in a tenant ONNX model with --onnx and inspect returns what the network computes', async () => {
    const onnx = join(work, 'tenant.onnx');
    const weights: [number, number][] = [
      [1, -2],
      [0.5, 1],
      [-1, 2],
    ];
    writeFileSync(onnx, meanColourClassifier(32, weights, [0, 0.3]));
    const out = join(work, 'tenant', 'detector.json');
    const env = { ...process.env, TOLLGATE_DATA_DIR: join(work, '.tollgate') };
    const args = ['train', 'ai-detector', '--onnx', onnx, '--input-size', '32', '--mean', '0.5,0.5,0.5', '--std', '0.25,0.25,0.25'];
    const installed = await run(process.execPath, [BIN, ...args, '--output-index', '1', '--activation', 'softmax', '--threshold', '0', '--out', out, '--json'], { env });
    const summary = JSON.parse(installed.stdout);
    expect(summary.onnx).toBe(join(work, 'tenant', 'detector.onnx'));
    // Mid-grey (128/255 ≈ 0.502) normalises to ≈ 0.008 per channel: the logits are ≈ [0, 0.3].
    expect(summary.grey_probe).toBeCloseTo(1 / (1 + Math.exp(-0.3)), 2);

    const photo = join(process.cwd(), '../shared/data/object-photos/horses.jpg');
    const inspected = JSON.parse((await run(process.execPath, [BIN, 'inspect', photo, '--json'], { env: { ...env, TOLLGATE_AI_MODEL: out } })).stdout);
    const signal = inspected.signals.find((s: { code: string }) => s.code === 'ai.classifier');
    const raster = await (await openMedia(readFileSync(photo))).raster({ exact: { width: 32, height: 32 }, channels: 3 });
    const means = [0, 1, 2].map((c) => {
      let sum = 0;
      for (let i = 0; i < 32 * 32; i++) sum += ((raster.data[i * 3 + c] ?? 0) / 255 - 0.5) / 0.25;
      return sum / (32 * 32);
    });
    const logits = [0, 1].map((k) => means.reduce((acc, m, c) => acc + m * (weights[c]?.[k] ?? 0), k === 1 ? 0.3 : 0));
    expect(signal.evidence.model).toBe(`onnx ${summary.version}`);
    expect(signal.evidence.probability).toBeCloseTo(1 / (1 + Math.exp((logits[0] ?? 0) - (logits[1] ?? 0))), 5);

    // A descriptor that does not fit the network is refused when it is written, not in a worker.
    await expect(run(process.execPath, [BIN, ...args.slice(0, 5), '64', '--out', join(work, 'bad', 'd.json')], { env })).rejects.toMatchObject({
      stderr: expect.stringContaining('does not run with this descriptor'),
    });
  }, 120_000);
});
