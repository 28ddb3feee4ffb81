import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Config } from '../../config/index.ts';
import { evaluateScorer } from '../../detectors/ai/classifier.ts';
import { createOnnxScorer, parseOnnxDescriptor, probeOnnxScorer, sha256File, trainAiDetector } from '../../detectors/ai/index.ts';
import { EXIT, printJson, usage } from '../io.ts';

export const TRAIN_HELP = `tollgate train ai-detector --data DIR --labels labels.csv [--out model.json] [--json]
  Trains the ai.classifier model from a labelled folder (CSV columns "file" relative to DIR and "label":
  ai/fake/generated or real/human) and writes a versioned model file. Point TOLLGATE_AI_MODEL at it and
  workers, scan and inspect use it instead of the shipped model (for stills and sampled video frames).

tollgate train ai-detector --onnx FILE --input-size N|WxH [--mean R,G,B] [--std R,G,B] [--range unit|byte]
    [--layout nchw|nhwc] [--bgr] [--input-name NAME] [--output-name NAME] [--output-index I]
    [--activation none|sigmoid|softmax] [--threshold P] [--max-score S] [--data DIR --labels labels.csv]
    [--out model.json] [--json]
  Plugs in an ONNX binary classifier you own: copies it next to a descriptor (input size, layout, channel
  order, pixel range unit=0..1 or byte=0..255, mean/std in that range, which output element is the AI
  class and how to turn it into a probability), runs it once to check the declaration, and with --data and
  --labels reports its AUC / accuracy / TPR at 1 % FPR on your labelled folder. Point TOLLGATE_AI_MODEL at
  the descriptor. --max-score (default 0.5) caps the signal: at 0.5 the model alone can only send to review.`;

const OPTIONS = {
  data: { type: 'string' },
  labels: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  onnx: { type: 'string' },
  'input-size': { type: 'string' },
  mean: { type: 'string' },
  std: { type: 'string' },
  range: { type: 'string' },
  layout: { type: 'string' },
  bgr: { type: 'boolean' },
  'input-name': { type: 'string' },
  'output-name': { type: 'string' },
  'output-index': { type: 'string' },
  activation: { type: 'string' },
  threshold: { type: 'string' },
  'max-score': { type: 'string' },
} as const;
type Values = ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; options: typeof OPTIONS }>>['values'];

export async function trainCommand(argv: string[], config: Config): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  if (positionals[0] !== 'ai-detector' || positionals.length !== 1) throw usage('usage: tollgate train ai-detector --data DIR --labels labels.csv | --onnx FILE --input-size N');
  const version = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, 'Z');
  const out = resolve(values.out ?? join(config.dataDir, 'models', `ai-detector-${version}.json`));
  if (values.onnx) return installOnnx(values, values.onnx, out, version);
  if (!values.data || !values.labels) throw usage('train ai-detector needs --data DIR and --labels labels.csv (or --onnx FILE)');
  const { model, skipped, train } = await trainAiDetector(values.data, values.labels, { version });
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(model, null, 2)}\n`);
  const summary = { model: out, version: model.version, trained_on: model.trainedOn, threshold: model.threshold, train, skipped };
  if (values.json) printJson(summary);
  else {
    process.stdout.write(
      `trained on ${model.trainedOn.ai} AI and ${model.trainedOn.real} real files (${skipped.length} skipped)\n` +
        `training-set metrics: ${JSON.stringify(train)}\n` +
        `model written to ${out}\nuse it with: TOLLGATE_AI_MODEL=${out}\n`,
    );
    for (const line of skipped.slice(0, 10)) process.stderr.write(`skipped ${line}\n`);
  }
  return EXIT.ok;
}

function numbers(flag: string, value: string | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  const list = value.split(',').map((v) => Number(v.trim()));
  if (list.some((n) => !Number.isFinite(n))) throw usage(`--${flag} takes numbers separated by commas, got ${JSON.stringify(value)}`);
  return list;
}

function inputSize(value: string | undefined): { width: number; height: number } {
  const m = value ? /^(\d+)(?:x(\d+))?$/i.exec(value.trim()) : null;
  if (!m) throw usage('--onnx needs --input-size N (square) or WxH, the size the network was trained at');
  return { width: Number(m[1]), height: Number(m[2] ?? m[1]) };
}

/** The descriptor from the flags; the zod schema then checks ranges and enums with readable errors. */
function descriptorFrom(values: Values, modelFile: string, sha256: string, version: string): unknown {
  const one = (flag: string, v: string | undefined): number | undefined => numbers(flag, v)?.[0];
  return {
    kind: 'tollgate.ai-classifier.onnx',
    version,
    model: modelFile,
    sha256,
    input: {
      ...inputSize(values['input-size']),
      ...(values['input-name'] ? { name: values['input-name'] } : {}),
      ...(values.layout ? { layout: values.layout } : {}),
      ...(values.bgr ? { channels: 'bgr' } : {}),
      ...(values.range ? { range: values.range } : {}),
      ...(values.mean ? { mean: numbers('mean', values.mean) } : {}),
      ...(values.std ? { std: numbers('std', values.std) } : {}),
    },
    output: {
      ...(values['output-name'] ? { name: values['output-name'] } : {}),
      ...(values['output-index'] ? { index: one('output-index', values['output-index']) } : {}),
      ...(values.activation ? { activation: values.activation } : {}),
    },
    ...(values.threshold ? { threshold: one('threshold', values.threshold) } : {}),
    ...(values['max-score'] ? { maxScore: one('max-score', values['max-score']) } : {}),
  };
}

/** Copies the model beside the descriptor (so the pair is versioned together) and checks that it runs. */
async function installOnnx(values: Values, onnx: string, out: string, version: string): Promise<number> {
  const modelPath = out.replace(/\.json$/i, '') + '.onnx';
  const json = descriptorFrom(values, basename(modelPath), sha256File(onnx), version);
  parseOnnxDescriptor(json);
  mkdirSync(dirname(out), { recursive: true });
  copyFileSync(onnx, modelPath);
  let probe: number;
  try {
    probe = await probeOnnxScorer(createOnnxScorer(json, out));
  } catch (error) {
    rmSync(modelPath, { force: true });
    throw error;
  }
  writeFileSync(out, `${JSON.stringify(parseOnnxDescriptor(json), null, 2)}\n`);
  const evaluation = values.data && values.labels ? await evaluateScorer(createOnnxScorer(json, out), values.data, values.labels) : undefined;
  const summary = { model: out, onnx: modelPath, version, grey_probe: probe, ...(evaluation ? { evaluation: evaluation.metrics, skipped: evaluation.skipped } : {}) };
  if (values.json) printJson(summary);
  else {
    process.stdout.write(
      `ONNX model ${onnx} copied to ${modelPath}; on a mid-grey picture it answers p = ${probe.toFixed(4)}\n` +
        (evaluation ? `on ${values.labels}: ${JSON.stringify(evaluation.metrics)} (${evaluation.skipped.length} skipped)\n` : '') +
        `descriptor written to ${out}\nuse it with: TOLLGATE_AI_MODEL=${out}\n`,
    );
  }
  return EXIT.ok;
}
