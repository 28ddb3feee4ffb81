import { runParts } from './aggregate.ts';
import { LONG_RUNNING_FLAGS } from '../bin/node-flags.js';

runParts(
  [
    // The pipeline part hosts `serve` and `scan` in its own process: started as bin/tollgate.js starts them.
    { script: 'bench/pipeline.ts', nodeArgs: [...LONG_RUNNING_FLAGS], output: 'bench-pipeline.md', title: 'Upload pipeline: scan and API' },
    // Where the pipeline's CPU beyond the analysis goes, sampled by perf (V8 names its JIT code for it).
    { script: 'bench/overhead.ts', nodeArgs: [...LONG_RUNNING_FLAGS, '--perf-basic-prof'], output: 'bench-overhead.md', title: "Where the pipeline's overhead goes" },
    // An upload's cost and the API's reads once the store holds a month of uploads.
    { script: 'bench/store.ts', nodeArgs: [...LONG_RUNNING_FLAGS], output: 'bench-store.md', title: 'Store size: an upload and the reads on a grown store' },
    { script: 'bench/fingerprint.ts', args: ['--10m'], nodeArgs: ['--expose-gc'], output: 'bench-fingerprint.md', title: 'Fingerprints and Hamming index' },
    { script: 'bench/vision.ts', output: 'bench-vision.md', title: 'Vision models, and the pipeline with vision on and off' },
    { script: 'bench/local-features.ts', nodeArgs: ['--expose-gc'], output: 'bench-local-features.md', title: 'Local-feature matcher: extraction and query' },
    { script: 'bench/ai.ts', output: 'bench-ai.md', title: 'Provenance, metadata and AI classifiers' },
    { script: 'bench/ocr.ts', output: 'bench-ocr.md', title: 'OCR for copyright.watermark_text' },
    { script: 'bench/metadata.ts', output: 'bench-metadata.md', title: 'Metadata forensics: hot path and deep phase' },
  ],
  'BENCH.md',
  'Benchmarks',
  'npm run bench',
  process.argv.slice(2),
);
