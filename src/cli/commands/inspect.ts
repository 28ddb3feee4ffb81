import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { analysisDeps, deploymentPolicyDefaults } from '../../app.ts';
import type { Config } from '../../config/index.ts';
import { NO_LOOKUPS, type UploadFacts } from '../../detectors/types.ts';
import { analyse, toReport } from '../../pipeline/analyse.ts';
import { buildPolicy } from '../../policy/spec.ts';
import { EXIT, printJson, usage } from '../io.ts';
import { renderAnalysis } from '../render.ts';
import { readTaskFile } from '../task-file.ts';
import { parseTaskSpec } from '../../tasks/spec.ts';
import { DeepMetadataReader } from '../../media/deep-metadata.ts';
import { errorLevelPng } from '../../media/ela.ts';
import { openMedia } from '../../media/open.ts';
import { enrolFace } from '../../vision/enrol.ts';
import type { DetectorLookups } from '../../detectors/types.ts';

export const INSPECT_HELP = `tollgate inspect FILE [--json] [--task task.json] [--selfie FILE] [--device-model M] [--deep] [--ela OUT.png]
  Analyses one file without any store and prints the verdict with its reasons.
  --selfie enrols the face in FILE as the contributor's, for tasks with "self": true.
  --deep always runs the metadata deep phase (ExifTool read, double compression); by default it runs when
  the hot path or a task asks (TOLLGATE_DEEP_METADATA). --ela writes the error-level-analysis PNG of a JPEG.
  Exit 0 when the file was analysed (whatever the verdict), 3 when it could not be read.`;

export async function inspectCommand(argv: string[], config: Config): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' }, task: { type: 'string' }, selfie: { type: 'string' }, 'device-model': { type: 'string' }, pretty: { type: 'boolean' },
      deep: { type: 'boolean' }, ela: { type: 'string' },
    },
  });
  const file = positionals[0];
  if (!file || positionals.length > 1) throw usage('inspect takes exactly one FILE');
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'input.not_found' : 'input.invalid';
    const message = error instanceof Error ? error.message : String(error);
    if (values.json) printJson({ file, error: { code, message } });
    else process.stderr.write(`${file}: ${message}\n`);
    return EXIT.unreadable;
  }
  const facts: UploadFacts = { receivedAt: new Date() };
  if (values.task) {
    facts.task = await readTaskFile(values.task);
    // A broken task file is the caller's mistake: say so now (exit 2) rather than per file.
    parseTaskSpec(facts.task.spec);
  }
  if (values['device-model']) facts.device = { model: values['device-model'] };
  let lookups: DetectorLookups = NO_LOOKUPS;
  if (values.selfie) {
    // No store here: the selfie stands in for the contributor's enrolment, so `self` tasks can be tried locally.
    const enrolled = await enrolFace(await openMedia(await readFile(values.selfie)));
    facts.contributorId = 'inspect';
    lookups = { ...NO_LOOKUPS, enrolledFaces: async () => [enrolled] };
  }
  const reader = new DeepMetadataReader();
  let result;
  try {
    const deps = analysisDeps(config, undefined, reader);
    if (values.deep && deps.deep) deps.deep = { ...deps.deep, mode: 'always' };
    result = await analyse(bytes, facts, lookups, { ...deps, policy: buildPolicy(0, undefined, deploymentPolicyDefaults(config)) }, { fileName: file });
  } finally {
    await reader.close();
  }
  if (values.ela) await writeFile(values.ela, await errorLevelPng(bytes, { limits: config.limits }));
  const report = toReport(result);
  if ('timings' in report) delete report.timings;
  if (values.json) printJson(report, values.pretty);
  else process.stdout.write(`${renderAnalysis(report)}\n`);
  return result.ok ? EXIT.ok : EXIT.unreadable;
}
