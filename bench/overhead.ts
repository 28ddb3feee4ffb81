/**
 * Where the pipeline's overhead goes: the API bench's server-mode run (API process with its in-process
 * workers, PostgreSQL) and the analysis alone, each sampled by Linux perf, with every sample attributed
 * to a part of the pipeline. Writes docs/bench-overhead.md (part of `npm run bench`).
 *
 * Needs `perf` (Debian `linux-perf`) and the right to sample every process (root, or
 * kernel.perf_event_paranoid ≤ -1), and runs with `--perf-basic-prof` so V8 names its JIT code.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analysisBaseline, cameraJpegs, FOUNDATION_DETECTORS, loadOnce, type LoadOptions } from './api.ts';
import { firstRule, innermost, jitMapNow, perfAvailable, readSamples, record, SAMPLE_HZ, type Recording, type Rule, type Sample } from './perf-samples.ts';
import { machine, table } from './support.ts';
import { freshPostgres, postgresAvailable } from '../test/support/databases.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);
const OUTPUT = 'docs/bench-overhead.md';

/** Node process: the innermost matching frame names the part (a query made by an HTTP handler is the database's). */
const NODE_RULES: Rule[] = [
  { category: 'JIT compilation (V8)', pattern: /v8::internal::compiler::|OptimizingCompileDispatcher|v8::internal::maglev::|BackgroundCompileTask|v8::internal::Compiler::/ },
  {
    category: 'garbage collection (V8)',
    pattern: /v8::internal::(Heap|Scavenger|ScavengerCollector|MarkCompactCollector|MinorMarkCompact|Sweeper|ConcurrentMarking|IncrementalMarking|MarkingVisitor|Evacuat|GCTracer|ArrayBufferSweeper|MemoryAllocator)/,
  },
  { category: 'analysis: decode, fingerprints, detectors, policy', pattern: /\/src\/(fingerprint|detectors|media|pipeline|policy)\/|libvips|sharp/ },
  { category: 'multipart parsing (busboy)', pattern: /busboy/ },
  { category: 'job queue (pg-boss, job loop)', pattern: /pg-boss|\/src\/jobs\// },
  { category: 'PostgreSQL client (pg, batches)', pattern: /node_modules\/pg|pg-protocol|pg-pool|\/src\/db\// },
  { category: 'blob store (hashing, file writes)', pattern: /\/src\/blobs\/|uv__fs_/ },
  { category: 'HTTP (Node http, Fastify, routes)', pattern: /fastify|find-my-way|avvio|llhttp|node:_http|\/src\/server\// },
  { category: 'other Tollgate code (ingest, hand-off, matching)', pattern: /\/src\// },
];

/** PostgreSQL: the outermost phase names the work (a foreign-key check runs inside the executor). */
const POSTGRES_RULES: Rule[] = [
  { category: 'commit: WAL flush', pattern: /XLogFlush|issue_xlog_fsync|XLogWrite|pg_fsync|fdatasync/ },
  { category: 'commit: other', pattern: /CommitTransaction|RecordTransactionCommit/ },
  { category: 'planning', pattern: /pg_plan_queries|standard_planner|GetCachedPlan|BuildCachedPlan|RevalidateCachedQuery/ },
  { category: 'parse and bind', pattern: /raw_parser|pg_parse_query|parse_analyze|exec_parse_message|exec_bind_message/ },
  { category: 'executor (with foreign-key checks)', pattern: /PortalRun|PortalStart|ExecutorStart|ExecutorRun|ExecutorFinish|ExecutorEnd/ },
  { category: 'network', pattern: /secure_read|secure_write|pq_getbyte|pq_flush|internal_flush|pq_recvbuf|pq_getmessage|WaitEventSetWait/ },
  { category: 'background (WAL writer, checkpointer)', pattern: /WalWriterMain|CheckpointerMain|BackgroundWriterMain|AutoVac/ },
];

type Tally = Map<string, number>;

function tally(samples: readonly Sample[], classify: (sample: Sample) => string | undefined): Tally {
  const counts: Tally = new Map();
  for (const sample of samples) {
    const key = classify(sample);
    if (key) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** Samples of the benchmark process, by thread group and part. */
function nodeKey(sample: Sample): string | undefined {
  if (sample.pid !== process.pid) return undefined;
  const thread = sample.tid === process.pid ? 'main thread' : 'other threads';
  return `${thread} · ${innermost(sample, NODE_RULES, thread === 'main thread' ? 'other: Node runtime, event loop' : 'other: allocator, thread pool')}`;
}

function postgresKey(sample: Sample): string | undefined {
  if (sample.command !== 'postgres') return undefined;
  return `PostgreSQL · ${firstRule(sample, POSTGRES_RULES, 'other')}`;
}

function recorder(target: number | 'all', file: string): { around: NonNullable<LoadOptions['around']>; map(): { pid: number; length: number } } {
  let recording: Recording | undefined;
  let map = jitMapNow();
  return {
    around: {
      before: async () => {
        recording = await record(target, file);
      },
      after: async () => {
        await recording?.stop();
        map = jitMapNow();
      },
    },
    map: () => map,
  };
}

async function main(): Promise<void> {
  if (!perfAvailable() || !(await postgresAvailable())) {
    writeFileSync(OUTPUT, '# Overhead profile\n\nNot run: it needs `perf` (Debian `linux-perf`) and the local PostgreSQL.\n');
    log('overhead: perf or PostgreSQL missing, not run');
    return;
  }
  const uploads = Number(process.env['BENCH_UPLOADS'] ?? 600);
  const paths = cameraJpegs();
  const files = paths.map((f) => readFileSync(f));
  const filter = (detector: { name: string }) => FOUNDATION_DETECTORS(detector.name);
  const scratch = mkdtempSync(join(tmpdir(), 'tollgate-overhead-'));
  const database = await freshPostgres();
  try {
    log(`overhead: server mode, API process only, ${uploads} uploads under perf`);
    const pipeline = recorder('all', join(scratch, 'pipeline.data'));
    const result = await loadOnce('server', { name: 'issue 2', filter }, paths, uploads, 16, database.url, { workerProcesses: 0, around: pipeline.around });
    log(`overhead: analysis alone, ${uploads} uploads under perf`);
    const alone = recorder(process.pid, join(scratch, 'alone.data'));
    const aloneCpu = await analysisBaseline(files, uploads, filter, alone.around);
    const pipelineTally = tally(await readSamples(join(scratch, 'pipeline.data'), pipeline.map()), (s) => nodeKey(s) ?? postgresKey(s));
    const aloneTally = tally(await readSamples(join(scratch, 'alone.data'), alone.map()), nodeKey);
    writeFileSync(OUTPUT, report(uploads, aloneTally, pipelineTally, { alone: aloneCpu, api: result.cpu.api, database: result.cpu.database, perSecond: uploads / result.seconds }));
    log(readFileSync(OUTPUT, 'utf8'));
  } finally {
    await database.drop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

function report(uploads: number, alone: Tally, pipeline: Tally, measured: { alone: number; api: number; database: number; perSecond: number }): string {
  const ms = (count: number | undefined) => ((count ?? 0) * 1000) / SAMPLE_HZ / uploads;
  const keys = [...new Set([...alone.keys(), ...pipeline.keys()])].sort((a, b) => ms(pipeline.get(b)) - ms(alone.get(b)) - (ms(pipeline.get(a)) - ms(alone.get(a))));
  const sum = (t: Tally) => [...t.values()].reduce((a, b) => a + b, 0);
  const rows = keys.map((key) => [key, ms(alone.get(key)).toFixed(2), ms(pipeline.get(key)).toFixed(2), (ms(pipeline.get(key)) - ms(alone.get(key))).toFixed(2)]);
  rows.push(['**total**', ms(sum(alone)).toFixed(2), ms(sum(pipeline)).toFixed(2), (ms(sum(pipeline)) - ms(sum(alone))).toFixed(2)]);
  return `# Overhead profile

Generated ${new Date().toISOString()} on ${machine()}; reproduce with \`npm run bench -- overhead\` (needs Debian's \`linux-perf\`).

The API bench's server-mode run (\`tollgate serve\` alone: the API process with its in-process workers, on a fresh
PostgreSQL database), ${uploads} uploads of the real camera JPEGs from 16 clients after a warm-up and an \`ANALYZE\`, and then the
analysis alone on the same files in the same process, each sampled by \`perf record -e cpu-clock -F ${SAMPLE_HZ} -g\`
(the whole machine for the pipeline, to see PostgreSQL; this process for the analysis). A sample is about 1 ms of
one thread's CPU; ms/upload = samples ÷ ${SAMPLE_HZ} Hz ÷ uploads. A Node sample belongs to the innermost frame
that names a part (a query an HTTP handler makes is the PostgreSQL client's), V8's collector and compiler are
counted apart wherever they run, and a PostgreSQL sample to its outermost phase. The load client is not counted.

Sampling costs CPU of its own, so these totals sit above the unsampled API bench; as counted from /proc in this
run: analysis alone ${measured.alone.toFixed(1)} ms/upload, API process ${measured.api.toFixed(1)}, PostgreSQL backends
${measured.database.toFixed(1)} (${measured.perSecond.toFixed(1)} uploads/s while sampled).

Rows are sorted by their difference: what the pipeline adds to the analysis, largest first.

${table(['where · what', 'analysis alone ms/upload', 'pipeline ms/upload', 'difference'], rows)}
`;
}

await main();
