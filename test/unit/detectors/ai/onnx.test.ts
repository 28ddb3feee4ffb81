import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createPixelClassifierDetector } from '../../../../src/detectors/ai/pixel-scorer.ts';
import { createOnnxScorer, outputProbability, parseOnnxDescriptor, probeOnnxScorer, sha256File, toInputTensor, type OnnxDescriptorInput } from '../../../../src/detectors/ai/onnx.ts';
import { isTollgateError } from '../../../../src/errors.ts';
import { openMedia } from '../../../../src/media/open.ts';
import type { Raster } from '../../../../src/media/types.ts';
import { meanColourClassifier, nhwcSigmoidClassifier } from '../../../support/onnx-model.ts';
import { context, HAS_DATA, read } from './helpers.ts';

const work = mkdtempSync(join(tmpdir(), 'tollgate-onnx-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const W: [number, number][] = [
  [1.5, -1],
  [2, 0.5],
  [-1, 3],
];
const B: [number, number] = [0.1, -0.2];
const MEAN: [number, number, number] = [0.485, 0.456, 0.406];
const STD: [number, number, number] = [0.229, 0.224, 0.225];

function install(name: string, model: Buffer, descriptor: Omit<OnnxDescriptorInput, 'kind' | 'version' | 'model' | 'sha256'>): string {
  const modelPath = join(work, `${name}.onnx`);
  writeFileSync(modelPath, model);
  const path = join(work, `${name}.json`);
  writeFileSync(path, JSON.stringify({ kind: 'tollgate.ai-classifier.onnx', version: name, model: `${name}.onnx`, sha256: sha256File(modelPath), ...descriptor }));
  return path;
}

function load(path: string) {
  return createOnnxScorer(JSON.parse(readFileSync(path, 'utf8')), path);
}

/** What the mean-colour graph computes, by hand: normalised channel means → Gemm → softmax[1]. */
function expectedSoftmax(raster: Raster): number {
  const plane = raster.width * raster.height;
  const means = [0, 1, 2].map((c) => {
    let sum = 0;
    for (let i = 0; i < plane; i++) sum += ((raster.data[i * 3 + c] ?? 0) / 255 - MEAN[c]!) / STD[c]!;
    return sum / plane;
  });
  const logits = [0, 1].map((k) => means.reduce((s, m, c) => s + m * W[c]![k]!, B[k]!));
  return Math.exp(logits[1]!) / (Math.exp(logits[0]!) + Math.exp(logits[1]!));
}

describe('ONNX descriptor and tensors', () => {
  it('lays pixels out as NCHW or NHWC, RGB or BGR, with per-channel normalisation', () => {
    const raster: Raster = { width: 2, height: 1, channels: 3, data: Uint8Array.from([255, 0, 51, 0, 255, 102]) };
    const base = parseOnnxDescriptor({ kind: 'tollgate.ai-classifier.onnx', version: 'v', model: 'm.onnx', sha256: '0'.repeat(64), input: { width: 8, height: 8 }, output: {} }).input;
    expect(Array.from(toInputTensor(raster, base))).toEqual([1, 0, 0, 1, 0.2, 0.4].map((v) => Math.fround(v)));
    const nhwcBgr = { ...base, layout: 'nhwc' as const, channels: 'bgr' as const, range: 'byte' as const, mean: [10, 0, 0] as [number, number, number], std: [1, 1, 2] as [number, number, number] };
    expect(Array.from(toInputTensor(raster, nhwcBgr))).toEqual([25.5, 0, 245, 51, 255, -10]);
  });

  it('turns the declared output element into a probability, and refuses values that are not one', () => {
    expect(outputProbability([0.2, 0.7], { index: 1, activation: 'none' })).toBeCloseTo(0.7);
    expect(outputProbability([0], { index: 0, activation: 'sigmoid' })).toBe(0.5);
    expect(outputProbability([1, 1, 1, 1], { index: 2, activation: 'softmax' })).toBeCloseTo(0.25);
    expect(() => outputProbability([3.2], { index: 0, activation: 'none' })).toThrow(/not a probability/);
    expect(() => outputProbability([0.1], { index: 1, activation: 'none' })).toThrow(/index 1/);
  });

  it('rejects descriptors with readable reasons', () => {
    const error = (() => {
      try {
        parseOnnxDescriptor({ kind: 'tollgate.ai-classifier.onnx', version: 'v', model: 'm.onnx', sha256: 'x', input: { width: 4, height: 224, layout: 'chw' }, output: {} });
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(isTollgateError(error) && error.code).toBe('config.invalid');
    expect(String(error)).toMatch(/sha256/);
    expect(String(error)).toMatch(/input\.width/);
    expect(String(error)).toMatch(/input\.layout/);
  });

  it('refuses a model file whose hash is not the declared one', () => {
    const path = install('swapped', meanColourClassifier(16, W, B), { input: { width: 16, height: 16 }, output: {} });
    writeFileSync(join(work, 'swapped.onnx'), nhwcSigmoidClassifier(16, [1, 1, 1], 0));
    expect(() => load(path)).toThrow(/SHA-256/);
  });

  it('probes a descriptor that does not match the network and says why', async () => {
    const path = install('wrong-size', meanColourClassifier(16, W, B), { input: { width: 32, height: 32, layout: 'nhwc' }, output: { index: 1, activation: 'softmax' } });
    await expect(probeOnnxScorer(load(path))).rejects.toMatchObject({ code: 'config.invalid', message: expect.stringMatching(/does not run with this descriptor/) });
  });
});

describe.skipIf(!HAS_DATA)('ONNX model on real photos', () => {
  it('scores what the graph computes (NCHW, ImageNet normalisation, softmax over two logits)', async () => {
    const path = install('mean-colour', meanColourClassifier(64, W, B), {
      input: { width: 64, height: 64, mean: MEAN, std: STD },
      output: { index: 1, activation: 'softmax' },
      threshold: 0,
    });
    const scorer = load(path);
    const detector = createPixelClassifierDetector(scorer);
    for (const file of ['object-photos/dog.jpg', 'ai-generator-metadata/comfyui-examples/flux/flux_dev_example.png']) {
      const view = await openMedia(read(file));
      const expected = expectedSoftmax(await view.raster({ exact: { width: 64, height: 64 }, channels: 3 }));
      const [signal] = await detector.detect(view, context());
      expect(signal?.code).toBe('ai.classifier');
      expect(signal?.evidence?.['probability'] as number).toBeCloseTo(expected, 5);
      expect(signal?.evidence?.['model']).toBe('onnx mean-colour');
      // Default cap: a classifier alone never reaches the reject threshold.
      expect(signal?.score).toBe(Math.min(0.5, signal?.evidence?.['probability'] as number));
    }
  });

  it('runs an NHWC sigmoid model with a symbolic batch dimension, BGR and byte range', async () => {
    const w: [number, number, number] = [0.01, -0.02, 0.015];
    const path = install('nhwc', nhwcSigmoidClassifier(48, w, -0.3), {
      input: { width: 48, height: 48, layout: 'nhwc', channels: 'bgr', range: 'byte' },
      output: { activation: 'none' },
      threshold: 0.99,
      maxScore: 1,
    });
    const scorer = load(path);
    const view = await openMedia(read('object-photos/eagle.jpg'));
    const raster = await view.raster({ exact: { width: 48, height: 48 }, channels: 3 });
    const plane = 48 * 48;
    // BGR order: input channel 0 is blue.
    const means = [2, 1, 0].map((src) => Array.from({ length: plane }, (_, i) => raster.data[i * 3 + src] ?? 0).reduce((a, b) => a + b, 0) / plane);
    const expected = 1 / (1 + Math.exp(-(means.reduce((s, m, c) => s + m * w[c]!, 0) - 0.3)));
    const result = await scorer.score((request) => view.raster(request), view.bytes);
    expect(result.probability).toBeCloseTo(expected, 5);
    // Below the declared threshold: no signal.
    expect(expected).toBeLessThan(0.99);
    expect(await createPixelClassifierDetector(scorer).detect(view, context())).toEqual([]);
  });
});
