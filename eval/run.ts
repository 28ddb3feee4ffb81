import { runParts } from '../bench/aggregate.ts';

runParts(
  [
    { script: 'eval/pdq-conformance.ts', output: 'pdq-conformance.md', title: 'PDQ conformance with Meta reference vectors' },
    { script: 'eval/near-duplicates.ts', output: 'eval-near-duplicates.md', title: 'Near-duplicate recall per transform' },
    { script: 'eval/quality-calibration.ts', output: 'eval-quality.md', title: 'Quality checks: calibration on real photos' },
    { script: 'eval/metadata.ts', output: 'eval-metadata.md', title: 'Metadata forensics' },
    { script: 'eval/ai.ts', output: 'eval-ai.md', title: 'Provenance and AI-generated detection' },
    { script: 'eval/task.ts', output: 'eval-task.md', title: 'Task relevance: objects and faces' },
    { script: 'eval/copyright.ts', output: 'eval-copyright.md', title: 'Copyright risk: watermark text and rights metadata' },
    { script: 'eval/logo.ts', output: 'eval-logo.md', title: 'Copyright risk: logos' },
  ],
  'EVAL.md',
  'Evaluations',
  'npm run eval',
  process.argv.slice(2),
);
