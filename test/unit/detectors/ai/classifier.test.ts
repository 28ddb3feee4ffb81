import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTollgateError } from '../../../../src/errors.ts';
import {
  createAiClassifierDetector,
  evaluate,
  fitLogistic,
  loadAiDetectorModel,
  loadDefaultAiModel,
  predict,
  readLabels,
  trainAiDetector,
} from '../../../../src/detectors/ai/classifier.ts';
import { extractFeatures, FEATURE_COUNT, jpegFeatures, powerSpectrum } from '../../../../src/detectors/ai/classifier-features.ts';
import { openMedia } from '../../../../src/media/open.ts';
import { context, DATA, HAS_DATA, read } from './helpers.ts';

describe('classifier building blocks', () => {
  it('computes the power spectrum of a pure cosine at its frequency', () => {
    const n = 16;
    const block = new Float64Array(n * n);
    for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) block[y * n + x] = Math.cos((2 * Math.PI * 3 * x) / n);
    const power = powerSpectrum(block, n);
    const peak = [...power].indexOf(Math.max(...power));
    expect([3, n - 3]).toContain(peak);
  });

  it('computes AUC, accuracy and TPR at 1 % FPR', () => {
    const m = evaluate([0.9, 0.8, 0.3, 0.2, 0.1], [1, 1, 1, 0, 0]);
    expect(m.auc).toBe(1);
    expect(m.accuracy).toBe(0.8);
    expect(m.tprAt1Fpr).toBe(1);
  });

  it('fits a separable problem and round-trips the model through its schema', () => {
    const x = Array.from({ length: 40 }, (_, i) => Array.from({ length: FEATURE_COUNT }, (_, j) => (j === 0 ? (i < 20 ? -1 : 1) + 0.1 * Math.sin(i) : Math.cos(i * j))));
    const y = x.map((_, i) => (i < 20 ? 0 : 1));
    const model = loadAiDetectorModel(JSON.parse(JSON.stringify(fitLogistic(x, y))));
    expect(evaluate(x.map((f) => predict(model, f)), y).auc).toBe(1);
    expect(() => loadAiDetectorModel({ ...model, weights: [1] })).toThrow(/invalid AI classifier model/);
  });

  it('rejects label files it cannot read instead of guessing', () => {
    expect(readLabels('file,label\na.jpg,fake\nb.jpg,REAL\n')).toEqual([
      { file: 'a.jpg', label: 1 },
      { file: 'b.jpg', label: 0 },
    ]);
    const error = (() => {
      try {
        readLabels('file,label\na.jpg,maybe\n');
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(isTollgateError(error) && error.code).toBe('input.invalid');
  });
});

describe.skipIf(!HAS_DATA)('classifier on real files', () => {
  it('reads JPEG quantisation traces from real JPEGs and none from PNG', async () => {
    const [isJpeg, q] = jpegFeatures(read('object-photos/dog.jpg'));
    expect(isJpeg).toBe(1);
    expect(q).toBeGreaterThan(0);
    expect(jpegFeatures(read('ai-generator-metadata/comfyui-examples/sdxl/sdxl_simple_example.png'))).toEqual([0, 0]);
  });

  it('extracts finite features from tiny and large images', async () => {
    for (const file of ['cifake-subset/FAKE/1087.jpg', 'object-photos/kite.jpg', 'ai-generator-metadata/comfyui-examples/flux/flux_dev_example.png']) {
      const view = await openMedia(read(file));
      const features = extractFeatures(await view.raster({ maxSide: 512 }), view.bytes);
      expect(features).toHaveLength(FEATURE_COUNT);
      expect(features.every(Number.isFinite), file).toBe(true);
    }
  });

  it('trainAiDetector learns CIFAKE from a labels CSV and the detector uses the model', async () => {
    const result = await trainAiDetector(join(DATA, 'cifake-subset'), join(DATA, 'cifake-subset/labels.csv'), { iterations: 800 });
    expect(result.skipped).toEqual([]);
    expect(result.model.trainedOn).toMatchObject({ ai: 250, real: 250 });
    expect(result.train.auc).toBeGreaterThan(0.8);
    // A detector built from the model emits only above its threshold, with a capped score.
    const detector = createAiClassifierDetector({ ...result.model, threshold: 0 });
    const [signal] = await detector.detect(await openMedia(read('cifake-subset/FAKE/1087.jpg')), context());
    expect(signal?.code).toBe('ai.classifier');
    expect(signal?.score).toBeLessThanOrEqual(0.5);
    expect(signal?.severity).toBe('low');
  });

  it('skips unreadable files listed in the labels and reports them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-ai-'));
    writeFileSync(join(dir, 'broken.jpg'), Buffer.from('not an image'));
    writeFileSync(join(dir, 'fake.jpg'), read('cifake-subset/FAKE/1087.jpg'));
    writeFileSync(join(dir, 'real.jpg'), read('object-photos/dog.jpg'));
    writeFileSync(join(dir, 'labels.csv'), 'file,label\nbroken.jpg,real\nfake.jpg,fake\nreal.jpg,real\n');
    const result = await trainAiDetector(dir, join(dir, 'labels.csv'), { iterations: 50 });
    expect(result.skipped).toHaveLength(1);
    expect(result.skipped[0]).toMatch(/^broken\.jpg: /);
    expect(result.model.trainedOn).toMatchObject({ ai: 1, real: 1 });
  });

  it('ships a default model that loads', () => {
    const model = loadDefaultAiModel();
    expect(model?.kind).toBe('tollgate.ai-classifier.logreg');
  });
});
