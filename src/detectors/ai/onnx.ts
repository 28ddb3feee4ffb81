import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { z } from 'zod';
import { TollgateError } from '../../errors.ts';
import type { Raster } from '../../media/types.ts';
import { DEFAULT_MAX_SCORE, type PixelScorer } from './pixel-scorer.ts';

/**
 * A tenant's own ONNX binary classifier behind `ai.classifier` and `ai.video_frames`. The model file is
 * opaque to us, so the descriptor declares what the network expects — input size, layout, channel order,
 * pixel range and per-channel normalisation — and which output element is the "AI" probability or logit.
 * `tollgate train ai-detector --onnx FILE …` writes the descriptor; TOLLGATE_AI_MODEL points at it.
 */

const triple = z.tuple([z.number(), z.number(), z.number()]);
const side = z.number().int().min(8).max(2048);

export const onnxDescriptorSchema = z
  .object({
    kind: z.literal('tollgate.ai-classifier.onnx'),
    version: z.string().min(1),
    /** The .onnx file, relative to the descriptor's folder unless absolute. */
    model: z.string().min(1),
    /** SHA-256 of the model file: a swapped or truncated file fails at start, not silently in scoring. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    input: z
      .object({
        /** Default: the model's first input. */
        name: z.string().optional(),
        width: side,
        height: side,
        layout: z.enum(['nchw', 'nhwc']).default('nchw'),
        channels: z.enum(['rgb', 'bgr']).default('rgb'),
        /** Pixels are scaled to this range before normalisation: `unit` = 0..1 (torchvision), `byte` = 0..255. */
        range: z.enum(['unit', 'byte']).default('unit'),
        /** value = (pixel − mean) / std per channel, in `range` units, in RGB order. */
        mean: triple.default([0, 0, 0]),
        std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]).default([1, 1, 1]),
      })
      .strict(),
    output: z
      .object({
        /** Default: the model's first output. */
        name: z.string().optional(),
        /** Element of the (batch-1, flattened) output that is the AI class. */
        index: z.number().int().min(0).default(0),
        /** `none`: already a probability; `sigmoid`: a logit; `softmax`: class logits, softmaxed over the output. */
        activation: z.enum(['none', 'sigmoid', 'softmax']).default('none'),
      })
      .strict(),
    threshold: z.number().min(0).max(1).default(0.5),
    maxScore: z.number().min(0).max(1).default(DEFAULT_MAX_SCORE),
  })
  .strict();
export type OnnxDescriptor = z.infer<typeof onnxDescriptorSchema>;
export type OnnxDescriptorInput = z.input<typeof onnxDescriptorSchema>;

export function parseOnnxDescriptor(json: unknown): OnnxDescriptor {
  const parsed = onnxDescriptorSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new TollgateError('config.invalid', `invalid ONNX AI detector descriptor: ${problems}`);
  }
  return parsed.data;
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Raster (interleaved RGB bytes) → the float tensor data the descriptor declares. */
export function toInputTensor(raster: Raster, input: OnnxDescriptor['input']): Float32Array {
  const { width, height, data, channels } = raster;
  if (channels !== 3) throw new TollgateError('detector.failed', `ONNX input needs an RGB raster, got ${channels} channels`);
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  const scale = input.range === 'unit' ? 1 / 255 : 1;
  const order = input.channels === 'rgb' ? [0, 1, 2] : [2, 1, 0];
  for (let c = 0; c < 3; c++) {
    const src = order[c] ?? c;
    // mean/std are declared in RGB order, so they follow the source channel.
    const mean = input.mean[src] ?? 0;
    const std = input.std[src] ?? 1;
    for (let i = 0; i < plane; i++) {
      const v = ((data[i * 3 + src] ?? 0) * scale - mean) / std;
      out[input.layout === 'nchw' ? c * plane + i : i * 3 + c] = v;
    }
  }
  return out;
}

/** The declared output element as a probability. */
export function outputProbability(values: ArrayLike<number>, output: OnnxDescriptor['output']): number {
  if (output.index >= values.length) throw new TollgateError('detector.failed', `ONNX output has ${values.length} values; the descriptor asks for index ${output.index}`);
  const v = Number(values[output.index]);
  let p: number;
  if (output.activation === 'sigmoid') p = 1 / (1 + Math.exp(-v));
  else if (output.activation === 'softmax') {
    let max = -Infinity;
    for (let i = 0; i < values.length; i++) max = Math.max(max, Number(values[i]));
    let sum = 0;
    for (let i = 0; i < values.length; i++) sum += Math.exp(Number(values[i]) - max);
    p = Math.exp(v - max) / sum;
  } else p = v;
  if (!Number.isFinite(p) || p < 0 || p > 1) {
    throw new TollgateError('detector.failed', `ONNX output ${v} is not a probability; declare activation "sigmoid" or "softmax"`);
  }
  return p;
}

export interface OnnxScorer extends PixelScorer {
  descriptor: OnnxDescriptor;
  modelPath: string;
}

/**
 * Checks the descriptor and the model file's hash now; the onnxruntime session is created on the first
 * score and reused for the life of the process (one per worker), so processes that never see an image
 * never load the native runtime. One intra-op thread: workers scale by process, not by thread.
 */
export function createOnnxScorer(json: unknown, descriptorPath: string): OnnxScorer {
  const descriptor = parseOnnxDescriptor(json);
  const modelPath = isAbsolute(descriptor.model) ? descriptor.model : resolve(dirname(descriptorPath), descriptor.model);
  let digest: string;
  try {
    digest = sha256File(modelPath);
  } catch (error) {
    throw new TollgateError('config.invalid', `ONNX AI detector: cannot read ${modelPath}: ${(error as Error).message}`);
  }
  if (digest !== descriptor.sha256) throw new TollgateError('config.invalid', `ONNX AI detector: ${modelPath} has SHA-256 ${digest}, the descriptor expects ${descriptor.sha256}`);
  let session: Promise<InferenceSession> | undefined;
  const open = (): Promise<InferenceSession> => {
    session ??= import('onnxruntime-node')
      .then((ort) => ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', logSeverityLevel: 3 }))
      .catch((error: unknown) => {
        session = undefined;
        throw new TollgateError('config.invalid', `ONNX AI detector: onnxruntime cannot load ${modelPath}: ${(error as Error).message}`);
      });
    return session;
  };
  const { input, output } = descriptor;
  return {
    descriptor,
    modelPath,
    label: `onnx ${descriptor.version}`,
    threshold: descriptor.threshold,
    maxScore: descriptor.maxScore,
    async score(raster) {
      const s = await open();
      const { Tensor } = await import('onnxruntime-node');
      const pixels = await raster({ exact: { width: input.width, height: input.height }, channels: 3 });
      const dims = input.layout === 'nchw' ? [1, 3, input.height, input.width] : [1, input.height, input.width, 3];
      const inputName = input.name ?? s.inputNames[0] ?? 'input';
      const outputName = output.name ?? s.outputNames[0] ?? 'output';
      let results: InferenceSession.ReturnType;
      try {
        results = await s.run({ [inputName]: new Tensor('float32', toInputTensor(pixels, input), dims) });
      } catch (error) {
        throw new TollgateError('detector.failed', `ONNX AI detector: ${(error as Error).message}`);
      }
      const tensor = results[outputName];
      if (!tensor) throw new TollgateError('detector.failed', `ONNX AI detector: the model has no output "${outputName}"`);
      const values = tensor.data as ArrayLike<number>;
      return { probability: outputProbability(values, output), evidence: { output: outputName, raw: Number(values[output.index]) } };
    },
  };
}

/** Reads a TOLLGATE_AI_MODEL descriptor; the caller dispatches on `kind`. */
export function readModelJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new TollgateError('config.invalid', `TOLLGATE_AI_MODEL: cannot read ${path}: ${(error as Error).message}`);
  }
}

/**
 * Runs the scorer once on a mid-grey picture: input name, shape, layout and output index are only
 * checked by onnxruntime at run time, and a wrong descriptor must fail when it is written, not in a worker.
 */
export async function probeOnnxScorer(scorer: OnnxScorer): Promise<number> {
  const { width, height } = scorer.descriptor.input;
  const grey: Raster = { width, height, channels: 3, data: new Uint8Array(width * height * 3).fill(128) };
  try {
    return (await scorer.score(() => Promise.resolve(grey), undefined)).probability;
  } catch (error) {
    throw new TollgateError('config.invalid', `the ONNX model does not run with this descriptor: ${(error as Error).message}`);
  }
}
