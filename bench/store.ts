/**
 * Does an upload cost more once the store has grown? The API bench's server-mode run (`tollgate serve`
 * alone, the camera JPEGs, issue 2's detectors) on an empty database and on one filled with a month of
 * earlier uploads (bench/store-fill.ts), and the reads a console and an app make on the filled one.
 * Writes docs/bench-store.md (part of `npm run bench`).
 */
import { writeFileSync } from 'node:fs';
import pg from 'pg';
import { cameraJpegs, FOUNDATION_DETECTORS, loadOnce, serverCpuMs, WARMUP_UPLOADS, type ApiLoadResult } from './api.ts';
import { DEFAULT_FILL, fillStore } from './store-fill.ts';
import { machine, percentile, table, timeEach } from './support.ts';
import type { Database } from '../src/db/database.ts';
import { openPostgres } from '../src/db/postgres.ts';
import { listUploads, type UploadListFilter } from '../src/db/uploads.ts';
import { uploadView } from '../src/uploads/view.ts';
import { freshPostgres, postgresAvailable } from '../test/support/databases.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);
const OUTPUT = 'docs/bench-store.md';
const uploads = Number(process.env['BENCH_UPLOADS'] ?? 600);
const filled = Number(process.env['BENCH_STORE_UPLOADS'] ?? 500_000);
const READ_REPEATS = 50;

interface ReadTiming {
  what: string;
  rows: number;
  p50: number;
  p99: number;
}

async function tenantOf(client: pg.Client): Promise<string> {
  const { rows } = await client.query<{ id: string }>(`SELECT id FROM tenants WHERE name LIKE 'bench-%' ORDER BY created_at DESC LIMIT 1`);
  if (!rows[0]) throw new Error('the load run created no tenant');
  return rows[0].id;
}

async function partyId(client: pg.Client, table: 'contributors' | 'devices' | 'tasks', externalId: string): Promise<string> {
  const { rows } = await client.query<{ id: string }>(`SELECT id FROM ${table} WHERE external_id = $1`, [externalId]);
  if (!rows[0]) throw new Error(`no ${table} row ${externalId}`);
  return rows[0].id;
}

async function rejectedContributor(client: pg.Client): Promise<string> {
  const { rows } = await client.query<{ id: string }>(
    `SELECT u.contributor_id AS id FROM uploads u JOIN verdicts v ON v.upload_id = u.id WHERE v.decision = 'reject' AND u.blob_key LIKE 'fill/%' LIMIT 1`,
  );
  if (!rows[0]) throw new Error('the fill has no rejected upload');
  return rows[0].id;
}

/** Each read as the API makes it (the same statements, prepared, on a pool like the server's), timed after a warm-up. */
async function timeReads(url: string, client: pg.Client): Promise<ReadTiming[]> {
  const tenantId = await tenantOf(client);
  const filters: Array<[string, UploadListFilter]> = [
    ['newest uploads', {}],
    ['one contributor', { contributorId: await partyId(client, 'contributors', 'fill-c7') }],
    ['one device', { deviceId: await partyId(client, 'devices', 'fill-d7') }],
    ['one task', { taskId: await partyId(client, 'tasks', 'fill-t7') }],
    ['rejected', { decision: 'reject' }],
    ['one contributor, rejected', { contributorId: await rejectedContributor(client), decision: 'reject' }],
    ['status error', { status: 'error' }],
  ];
  const reviewed = await client.query<{ upload_id: string }>('SELECT upload_id FROM review_decisions ORDER BY created_at LIMIT 1');
  const db: Database = await openPostgres(url);
  try {
    const reads: Array<[string, () => Promise<number>]> = filters.map(([what, filter]) => [
      `GET /v1/uploads: ${what} (page of 50)`,
      async () => (await listUploads(db, tenantId, filter, undefined, 51)).length,
    ]);
    const viewed = reviewed.rows[0]?.upload_id;
    if (viewed) reads.push(['GET /v1/uploads/:id of a reviewed upload', async () => ((await uploadView(db, tenantId, viewed)) ? 1 : 0)]);
    const timings: ReadTiming[] = [];
    for (const [what, read] of reads) {
      let rows = 0;
      const timing = await timeEach(Array.from({ length: READ_REPEATS }, (_, i) => i), async () => (rows = await read()));
      timings.push({ what, rows, p50: percentile(timing.wall, 50), p99: percentile(timing.wall, 99) });
    }
    return timings;
  } finally {
    await db.close();
  }
}

async function run(size: number): Promise<{ result: ApiLoadResult; reads: ReadTiming[] }> {
  const database = await freshPostgres();
  const url = database.url!;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let reads: ReadTiming[] = [];
  try {
    log(`store: ${size} earlier uploads, ${uploads} uploads through the API`);
    const result = await loadOnce('server', { name: 'issue 2', filter: (d) => FOUNDATION_DETECTORS(d.name) }, cameraJpegs(), uploads, 16, url, {
      workerProcesses: 0,
      around: {
        // After the warm-up, so the store holds the fill when the measured uploads arrive.
        before: async () => {
          if (size > 0) await fillStore(client, await tenantOf(client), { uploads: size, ...DEFAULT_FILL }, log);
          // Both runs start right after a checkpoint: the first change to each page after one writes the whole
          // page to the WAL, so where the last checkpoint fell (the fill's WAL forces some) would otherwise decide the cost.
          await client.query('CHECKPOINT');
        },
        after: async () => {
          if (size > 0) reads = await timeReads(url, client);
        },
      },
    });
    return { result, reads };
  } finally {
    await client.end();
    await database.drop();
  }
}

if (!(await postgresAvailable())) {
  writeFileSync(OUTPUT, '# Store size\n\nNot run: PostgreSQL was not available.\n');
  process.exit(0);
}

const empty = await run(0);
const grown = await run(filled);
const fmt = (x: number) => x.toFixed(1);
const loadRow = (label: string, r: ApiLoadResult) => [
  label,
  fmt(r.uploads / r.seconds),
  fmt(r.p50),
  fmt(r.p99),
  `${fmt(serverCpuMs(r))} (${fmt(r.cpu.api)} · ${fmt(r.cpu.database)})`,
  r.sql ? r.sql.statements.toFixed(1) : '—',
  r.errors,
];
const doc = `# Store size

Generated ${new Date().toISOString()} on ${machine()}; reproduce with \`npm run bench -- store\` (\`BENCH_STORE_UPLOADS\` sets the fill, default 500,000).

The API bench's server-mode run (\`tollgate serve\` alone, ${uploads} uploads of the camera JPEGs from 16 clients after a
warm-up of ${WARMUP_UPLOADS}, issue 2's detectors) twice: on an empty database, and on one where the tenant already holds
${filled.toLocaleString('en')} uploads from the month before, filled in SQL after the warm-up (\`bench/store-fill.ts\`):
${DEFAULT_FILL.perContributor} uploads per contributor and per device, ${DEFAULT_FILL.perTask} per task, each with a
verdict (1 in 12 review, 1 in 50 reject) and two signals, review items and decisions for the reviewed ones, and the
queue's completed jobs, their ids made as the deployment makes them (UUIDv7, at each row's time; pg-boss's own job
ids are random). The fill ends with \`VACUUM ANALYZE\`, what autovacuum does to a table that grew this much
(this machine runs PostgreSQL with autovacuum off). Both measured runs start right after a \`CHECKPOINT\`: the first
change to each page after one writes the whole page to the WAL, so where the last checkpoint happened to fall would
otherwise decide much of PostgreSQL's cost per upload. No perceptual hashes are filled: the workers would stream them into
their in-memory index during the measured run (\`docs/bench-fingerprint.md\` measures the index at 10 M).

## An upload's cost

${table(
  ['store', 'uploads/s', 'p50 ms', 'p99 ms', 'server CPU ms/upload (API · PostgreSQL)', 'statements/upload', 'errors'],
  [loadRow('empty', empty.result), loadRow(`${filled.toLocaleString('en')} earlier uploads`, grown.result)],
)}

## Reads on the grown store

Each read as the API makes it (\`listUploads\` and \`uploadView\`, prepared on a pool like the server's), ${READ_REPEATS} times
after a warm-up call (which prepares the statement), while nothing else runs; wall time including the round trip.

${table(
  ['read', 'rows', 'p50 ms', 'p99 ms'],
  grown.reads.map((r) => [r.what, r.rows, r.p50.toFixed(2), r.p99.toFixed(2)]),
)}
`;
writeFileSync(OUTPUT, doc);
log(doc);
