import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Config } from '../../config/index.ts';
import { trainAiDetector } from '../../detectors/ai/index.ts';
import { EXIT, printJson, usage } from '../io.ts';

export const TRAIN_HELP = `tollgate train ai-detector --data DIR --labels labels.csv [--out model.json] [--json]
  Trains the ai.classifier model from a labelled folder (CSV columns "file" relative to DIR and "label":
  ai/fake/generated or real/human) and writes a versioned model file. Point TOLLGATE_AI_MODEL at it and
  workers, scan and inspect use it instead of the shipped model.`;

export async function trainCommand(argv: string[], config: Config): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { data: { type: 'string' }, labels: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } },
  });
  if (positionals[0] !== 'ai-detector' || positionals.length !== 1) throw usage('usage: tollgate train ai-detector --data DIR --labels labels.csv');
  if (!values.data || !values.labels) throw usage('train ai-detector needs --data DIR and --labels labels.csv');
  const version = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, 'Z');
  const out = resolve(values.out ?? join(config.dataDir, 'models', `ai-detector-${version}.json`));
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
