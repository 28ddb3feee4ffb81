import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { TollgateError } from '../../errors.ts';
import { openMedia } from '../../media/open.ts';
import type { MediaView } from '../../media/types.ts';
import type { Detector } from '../types.ts';
import { extractFeatures, FEATURE_COUNT, FEATURE_NAMES, RASTER_MAX_SIDE } from './classifier-features.ts';
import { createPixelClassifierDetector, DEFAULT_MAX_SCORE, type PixelScorer } from './pixel-scorer.ts';

/**
 * `ai.classifier`: a logistic regression over hand-crafted pixel features (classifier-features.ts).
 * Deliberately small and transparent: it is the last line after metadata, C2PA and watermarks, it can
 * be retrained from review labels in seconds, and a reviewer can see which features drove a score.
 * A tenant's ONNX model replaces it behind the same signal code (onnx.ts).
 */

export const aiModelSchema = z.object({
  kind: z.literal('tollgate.ai-classifier.logreg'),
  version: z.string(),
  features: z.array(z.string()).length(FEATURE_COUNT),
  mean: z.array(z.number()).length(FEATURE_COUNT),
  std: z.array(z.number().positive()).length(FEATURE_COUNT),
  weights: z.array(z.number()).length(FEATURE_COUNT),
  bias: z.number(),
  /** Probability above which a signal is emitted: chosen for ≤ 1 % false positives on the training reals. */
  threshold: z.number().min(0).max(1),
  trainedOn: z.object({ ai: z.number().int(), real: z.number().int(), labels: z.string().optional() }),
});
export type AiModel = z.infer<typeof aiModelSchema>;

export function loadAiDetectorModel(json: unknown): AiModel {
  const parsed = aiModelSchema.safeParse(json);
  if (!parsed.success) throw new TollgateError('config.invalid', `invalid AI classifier model: ${parsed.error.issues[0]?.message ?? 'unknown'}`);
  if (parsed.data.features.some((f, i) => f !== FEATURE_NAMES[i])) throw new TollgateError('config.invalid', 'AI classifier model was trained on a different feature set');
  return parsed.data;
}

export async function featuresOf(view: MediaView): Promise<number[]> {
  return extractFeatures(await view.raster({ maxSide: RASTER_MAX_SIDE }), view.bytes);
}

export function predict(model: AiModel, features: readonly number[]): number {
  let z = model.bias;
  for (let i = 0; i < FEATURE_COUNT; i++) z += (model.weights[i] ?? 0) * (((features[i] ?? 0) - (model.mean[i] ?? 0)) / (model.std[i] ?? 1));
  return 1 / (1 + Math.exp(-z));
}

export interface TrainOptions {
  l2?: number;
  iterations?: number;
  learningRate?: number;
  version?: string;
  labels?: string;
  /** Features held at weight 0, e.g. JPEG traces, which teach "not a JPEG" = AI when reals are all JPEGs. */
  exclude?: readonly string[];
}

/** Full-batch gradient descent on standardised features with L2; classes weighted to balance. */
export function fitLogistic(x: readonly number[][], y: readonly number[], options: TrainOptions = {}): AiModel {
  const { l2 = 0.01, iterations = 3000, learningRate = 0.3 } = options;
  const n = x.length;
  if (n === 0 || !y.includes(0) || !y.includes(1)) throw new TollgateError('input.invalid', 'training needs both AI and real examples');
  const mean = new Array<number>(FEATURE_COUNT).fill(0);
  const std = new Array<number>(FEATURE_COUNT).fill(0);
  for (const row of x) for (let j = 0; j < FEATURE_COUNT; j++) mean[j] = (mean[j] ?? 0) + (row[j] ?? 0) / n;
  for (const row of x) for (let j = 0; j < FEATURE_COUNT; j++) std[j] = (std[j] ?? 0) + ((row[j] ?? 0) - (mean[j] ?? 0)) ** 2 / n;
  const sd = std.map((v) => Math.sqrt(v) || 1);
  const z = x.map((row) => row.map((v, j) => (v - (mean[j] ?? 0)) / (sd[j] ?? 1)));
  const positives = y.filter((v) => v === 1).length;
  const classWeight = (label: number): number => (label === 1 ? n / (2 * positives) : n / (2 * (n - positives)));
  const w = new Array<number>(FEATURE_COUNT).fill(0);
  const active = FEATURE_NAMES.map((name) => !(options.exclude ?? []).includes(name));
  let b = 0;
  for (let it = 0; it < iterations; it++) {
    const gw = new Array<number>(FEATURE_COUNT).fill(0);
    let gb = 0;
    for (let i = 0; i < n; i++) {
      const row = z[i] ?? [];
      let s = b;
      for (let j = 0; j < FEATURE_COUNT; j++) s += (w[j] ?? 0) * (row[j] ?? 0);
      const err = (1 / (1 + Math.exp(-s)) - (y[i] ?? 0)) * classWeight(y[i] ?? 0);
      for (let j = 0; j < FEATURE_COUNT; j++) gw[j] = (gw[j] ?? 0) + err * (row[j] ?? 0);
      gb += err;
    }
    for (let j = 0; j < FEATURE_COUNT; j++) if (active[j]) w[j] = (w[j] ?? 0) - learningRate * ((gw[j] ?? 0) / n + l2 * (w[j] ?? 0));
    b -= (learningRate * gb) / n;
  }
  const model: AiModel = {
    kind: 'tollgate.ai-classifier.logreg',
    version: options.version ?? new Date().toISOString(),
    features: [...FEATURE_NAMES],
    mean,
    std: sd,
    weights: w,
    bias: b,
    threshold: 0.5,
    trainedOn: { ai: positives, real: n - positives, ...(options.labels ? { labels: options.labels } : {}) },
  };
  const realScores = x.filter((_, i) => y[i] === 0).map((row) => predict(model, row));
  model.threshold = Math.max(0.5, quantile(realScores, 0.99));
  return model;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
}

export interface Metrics {
  auc: number;
  accuracy: number;
  /** True-positive rate at the threshold that keeps ≤ 1 % of reals above it (coarse on small sets). */
  tprAt1Fpr: number;
  n: number;
}

export function evaluate(scores: readonly number[], labels: readonly number[], threshold = 0.5): Metrics {
  const pos = scores.filter((_, i) => labels[i] === 1);
  const neg = scores.filter((_, i) => labels[i] === 0);
  let wins = 0;
  for (const p of pos) for (const q of neg) wins += p > q ? 1 : p === q ? 0.5 : 0;
  const correct = scores.filter((s, i) => (s >= threshold ? 1 : 0) === labels[i]).length;
  const cut = quantile(neg, 0.99);
  return {
    auc: pos.length && neg.length ? wins / (pos.length * neg.length) : Number.NaN,
    accuracy: scores.length ? correct / scores.length : Number.NaN,
    tprAt1Fpr: pos.length ? pos.filter((p) => p > cut).length / pos.length : Number.NaN,
    n: scores.length,
  };
}

const AI_LABELS = new Set(['1', 'true', 'ai', 'fake', 'ai_generated', 'generated', 'synthetic']);
const REAL_LABELS = new Set(['0', 'false', 'real', 'camera', 'human', 'authentic']);

/** Reads `file,label` rows (header required; other columns ignored). Unknown labels are an error, not a guess. */
export function readLabels(csv: string): Array<{ file: string; label: 0 | 1 }> {
  const [header = '', ...rows] = csv.trim().split(/\r?\n/);
  const cols = header.split(',').map((c) => c.trim().toLowerCase());
  const fi = cols.indexOf('file');
  const li = cols.indexOf('label');
  if (fi < 0 || li < 0) throw new TollgateError('input.invalid', 'labels CSV needs "file" and "label" columns');
  return rows.filter((r) => r.trim()).map((row, i) => {
    const parts = row.split(',');
    const raw = (parts[li] ?? '').trim().toLowerCase();
    const label = AI_LABELS.has(raw) ? 1 : REAL_LABELS.has(raw) ? 0 : null;
    if (label === null) throw new TollgateError('input.invalid', `labels CSV row ${i + 2}: unknown label ${JSON.stringify(raw)}`);
    return { file: (parts[fi] ?? '').trim(), label };
  });
}

/** `tollgate train ai-detector DIR LABELS.csv`: features for every labelled file, then a fitted model. */
export async function trainAiDetector(dir: string, labelsCsv: string, options: TrainOptions = {}): Promise<{ model: AiModel; skipped: string[]; train: Metrics }> {
  const rows = readLabels(readFileSync(labelsCsv, 'utf8'));
  const x: number[][] = [];
  const y: number[] = [];
  const skipped: string[] = [];
  for (const row of rows) {
    try {
      x.push(await featuresOf(await openMedia(readFileSync(join(dir, row.file)))));
      y.push(row.label);
    } catch (error) {
      skipped.push(`${row.file}: ${(error as Error).message}`);
    }
  }
  const model = fitLogistic(x, y, { ...options, labels: options.labels ?? labelsCsv });
  return { model, skipped, train: evaluate(x.map((f) => predict(model, f)), y, model.threshold) };
}

/** Any pixel scorer (e.g. a tenant's ONNX model) on a labelled folder: how it does on the tenant's own data. */
export async function evaluateScorer(scorer: PixelScorer, dir: string, labelsCsv: string): Promise<{ metrics: Metrics; skipped: string[] }> {
  const scores: number[] = [];
  const labels: number[] = [];
  const skipped: string[] = [];
  for (const row of readLabels(readFileSync(labelsCsv, 'utf8'))) {
    try {
      const view = await openMedia(readFileSync(join(dir, row.file)));
      scores.push((await scorer.score((request) => view.raster(request), view.bytes)).probability);
      labels.push(row.label);
    } catch (error) {
      skipped.push(`${row.file}: ${(error as Error).message}`);
    }
  }
  return { metrics: evaluate(scores, labels, scorer.threshold), skipped };
}

/** The logistic model as a pixel scorer; `bytes` add JPEG traces when the model was trained with them. */
export function logregScorer(model: AiModel): PixelScorer {
  return {
    label: model.version,
    threshold: model.threshold,
    maxScore: DEFAULT_MAX_SCORE,
    async score(raster, bytes) {
      const features = extractFeatures(await raster({ maxSide: RASTER_MAX_SIDE }), bytes ?? new Uint8Array(0));
      const topFeatures = FEATURE_NAMES.map((name, i) => ({ name, c: (model.weights[i] ?? 0) * (((features[i] ?? 0) - (model.mean[i] ?? 0)) / (model.std[i] ?? 1)) }))
        .sort((a, b) => b.c - a.c)
        .slice(0, 3)
        .map((c) => c.name);
      return { probability: predict(model, features), evidence: { topFeatures } };
    },
  };
}

export function createAiClassifierDetector(model: AiModel): Detector {
  return createPixelClassifierDetector(logregScorer(model));
}

/** The model shipped with Tollgate (trained by `npx tsx eval/ai.ts --write-model`), or null if absent. */
export function loadDefaultAiModel(): AiModel | null {
  try {
    return loadAiDetectorModel(JSON.parse(readFileSync(new URL('./ai-classifier-model.json', import.meta.url), 'utf8')));
  } catch {
    return null;
  }
}
