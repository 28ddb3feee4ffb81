/** Scan throughput and API load, written to docs/bench-pipeline.md (part of `npm run bench`). */
import { writeFileSync } from 'node:fs';
import { benchApi, benchOneClient, WARMUP_UPLOADS } from './api.ts';
import { benchScan } from './scan.ts';
import { machine } from './support.ts';
import { freshPostgres, postgresAvailable } from '../test/support/databases.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);
// A database of its own, dropped afterwards, so the benchmark never writes into an existing one.
const database = (await postgresAvailable()) ? await freshPostgres() : undefined;
const server = database?.url;
const uploads = Number(process.env['BENCH_UPLOADS'] ?? 600);
const scan = await benchScan(server, log);
const api = await benchApi(server, log, uploads);
const oneClient = await benchOneClient(server, log);
const doc = `# Pipeline throughput

Machine: ${machine()}. Server mode uses ${server ? 'a fresh database on the local PostgreSQL 15 (127.0.0.1:5432)' : 'nothing: PostgreSQL was not available'}.

## tollgate scan (in process: ingest → queue → workers → verdict)

${scan}

Each scan runs in a process of its own, as \`tollgate scan\` does (so its code starts cold), with the analysis on
threads (\`TOLLGATE_ANALYSIS_THREADS=auto\`, the default: 2 here) and on the main thread (\`0\`). Start-up (opening the
store, migrations, queue, the analysis threads loading their detectors) is reported apart; files/s counts from the
first ingest to the last verdict. Memory is the scan process's resident set: once it has read every input file (the
bench holds them all, so the store's ingest is not timed reading the disk) and its peak (\`maxRSS\`) over the whole run;
the difference is what the store, the queue and the analysis (each thread's detectors and models) took.

## HTTP API under concurrent load

${uploads} uploads of the real camera JPEGs in \`../shared/data/exif-camera-samples/images/jpg\`, 16 concurrent clients, each
\`POST /v1/uploads?wait=30000\` answering with the verdict (latency = upload sent → verdict received). The load
client is a separate process on the same machine (keep-alive connections, multipart bodies sent from the file bytes);
each upload names a contributor (50 of them), a device (50, with model, OS and app version), a client IP and a capture
time, as an app's backend would.
Every process analyses on worker threads (\`TOLLGATE_ANALYSIS_THREADS=auto\`, the default: one per core, at most one
per job in flight, so 2 here) unless its row says "main thread" (\`TOLLGATE_ANALYSIS_THREADS=0\`).
Embedded mode: one process (PGlite, API, workers at concurrency 2, the default). Server mode on PostgreSQL, two ways on one 2-core
machine: \`tollgate serve\` with \`TOLLGATE_WORKER_PROCESSES=1\` (the API process with in-process workers plus one
\`tollgate worker\` process, each at concurrency 2), and \`serve\` alone (the default, \`TOLLGATE_WORKER_PROCESSES=0\`).

Each run follows a warm-up of ${WARMUP_UPLOADS} uploads (V8 goes on optimising per-request code for hundreds of them); in
server mode the database is then analysed (\`ANALYZE\`), as autovacuum would have done by then: this machine's
PostgreSQL runs with autovacuum off, and without statistics pg-boss's job completion reads every retained job.
CPU is counted per process (all its threads) from /proc/<pid>/stat, so other load on the machine does not enter it (it still slows the
run down): "server CPU" is the API process (with its in-process workers), the worker processes and the PostgreSQL
backends serving the benchmark's database (followed by a watcher process every 100 ms, so a connection the pool
closes during the run still counts); the load client is reported apart. "Analysis alone" is the CPU of
decode + fingerprints + detectors + policy on the same files with no HTTP, queue or database, measured in this process
right before and right after each load run (this VM's speed drifts within minutes); the overhead column is server CPU
minus their mean, relative to it. This process is started with the V8 flags \`tollgate serve\` runs with
(bin/node-flags.js). The last column counts what the API process sent to PostgreSQL per upload: round trips
(a Database.batch of several statements is one) and statements. The last, in server mode, is the share of updates of
upload rows (a claim, the verdict's) that PostgreSQL made HOT, writing no index entry (\`pg_stat_user_tables\`, warm-up
included, read once every backend has reported).

${api.markdown}

## One upload at a time

The same uploads from one client, so none waits for another: the latency is the pipeline's path for a single
upload (HTTP and multipart, SHA-256 and the blob write, the ingest's commit, the queue's hand-over to a worker,
the claim, the verdict's commit, the answer) plus its analysis, timed in the worker (wall time: decode, fingerprints,
detectors, policy). \`serve\` alone in server mode; warm-up as above.

${oneClient}
`;
writeFileSync('docs/bench-pipeline.md', doc);
await database?.drop();
log(doc);
