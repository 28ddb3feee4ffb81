/**
 * One scan in a process of its own, as `tollgate scan` runs (bench/scan.ts starts it): every file of the
 * folders given ingested into a fresh store and waited for. Prints the ScanRun as JSON.
 * Arguments: CORPUS_NAME THREADS (auto or a count) [DATABASE_URL|-] FOLDER…
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTollgate } from '../src/app.ts';
import { loadConfig } from '../src/config/index.ts';
import { ensureTenant } from '../src/db/tenants.ts';
import { ingestBytes } from '../src/uploads/ingest.ts';
import { filesUnder } from './support.ts';

export interface ScanRun {
  corpus: string;
  database: string;
  analysis: string;
  files: number;
  megapixels: number;
  startupMs: number;
  seconds: number;
  /** Resident memory (MB) once the inputs were read, before the store opened, and the process's peak. */
  rssMb: { inputsRead: number; peak: number };
}

const [corpus = '', threads = 'auto', databaseUrl = '-', ...folders] = process.argv.slice(2);
const inputs = folders.flatMap((folder) => filesUnder(folder)).map((file) => readFileSync(file));
const inputsReadMb = process.memoryUsage.rss() / 2 ** 20;
const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-bench-'));
const server = databaseUrl === '-' ? undefined : databaseUrl;
const started = Date.now();
const tollgate = await createTollgate(
  loadConfig({ env: { TOLLGATE_DATA_DIR: dataDir, TOLLGATE_ANALYSIS_THREADS: threads, LOG_LEVEL: 'silent', ...(server ? { DATABASE_URL: server } : {}) } }),
  { startAnalysisEarly: true },
);
try {
  const tenant = await ensureTenant(tollgate.db, `bench-${Date.now()}`);
  let remaining = inputs.length;
  let done = (): void => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  // Start-up includes the workers' (the analysis threads load their detectors), as `tollgate scan` waits for them.
  await tollgate.startWorkers({ onProcessed: () => --remaining === 0 && done() });
  const startupMs = Date.now() - started;
  const t0 = performance.now();
  for (const [i, bytes] of inputs.entries()) await ingestBytes(tollgate, tenant.id, bytes, { file_name: `${corpus}-${i}` });
  await finished;
  const seconds = (performance.now() - t0) / 1000;
  const megapixels = (await tollgate.db.query<{ mp: number }>('SELECT coalesce(sum(width::float8 * height) / 1e6, 0) AS mp FROM uploads WHERE tenant_id = $1', [tenant.id]))[0]!.mp;
  const run: ScanRun = {
    corpus,
    database: server ? 'PostgreSQL' : 'PGlite (embedded)',
    analysis: threads === '0' ? 'main thread' : `threads (${threads})`,
    files: inputs.length,
    megapixels,
    startupMs,
    seconds,
    // maxRSS is in kilobytes.
    rssMb: { inputsRead: inputsReadMb, peak: process.resourceUsage().maxRSS / 1024 },
  };
  process.stdout.write(`${JSON.stringify(run)}\n`);
} finally {
  await tollgate.close();
  rmSync(dataDir, { recursive: true, force: true });
}
