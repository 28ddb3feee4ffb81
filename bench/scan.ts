import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTollgate } from '../src/app.ts';
import { loadConfig } from '../src/config/index.ts';
import { ensureTenant } from '../src/db/tenants.ts';
import { ingestBytes } from '../src/uploads/ingest.ts';
import { filesUnder, syntheticPhoto, table } from './support.ts';

interface ScanRun {
  corpus: string;
  database: string;
  files: number;
  megapixels: number;
  startupMs: number;
  seconds: number;
}

/** The work of `tollgate scan`, in process: ingest every file, wait for every verdict. */
async function scanOnce(corpus: string, inputs: Buffer[], databaseUrl?: string): Promise<ScanRun> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-bench-'));
  const started = Date.now();
  const tollgate = await createTollgate(loadConfig({ env: { TOLLGATE_DATA_DIR: dataDir, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) } }));
  try {
    const tenant = await ensureTenant(tollgate.db, `bench-${Date.now()}`);
    let remaining = inputs.length;
    const finished = new Promise<void>((resolve) => {
      void tollgate.startWorkers({ onProcessed: () => --remaining === 0 && resolve() });
    });
    const startupMs = Date.now() - started;
    const t0 = performance.now();
    for (const [i, bytes] of inputs.entries()) await ingestBytes(tollgate, tenant.id, bytes, { file_name: `${corpus}-${i}` });
    await finished;
    const seconds = (performance.now() - t0) / 1000;
    const megapixels = (await tollgate.db.query<{ mp: number }>('SELECT coalesce(sum(width::float8 * height) / 1e6, 0) AS mp FROM uploads WHERE tenant_id = $1', [tenant.id]))[0]!.mp;
    return { corpus, database: databaseUrl ? 'PostgreSQL' : 'PGlite (embedded)', files: inputs.length, megapixels, startupMs, seconds };
  } finally {
    await tollgate.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function benchScan(databaseUrl: string | undefined, log: (line: string) => void): Promise<string> {
  const camera = filesUnder('../shared/data/exif-camera-samples/images').map((f) => readFileSync(f));
  log(`generating 24 synthetic 12 MP JPEGs`);
  const large: Buffer[] = [];
  for (let i = 0; i < 24; i++) large.push(await syntheticPhoto(i + 1));
  const runs: ScanRun[] = [];
  for (const url of databaseUrl ? [undefined, databaseUrl] : [undefined]) {
    for (const [name, inputs] of [
      ['exif-camera-samples (real photos)', camera],
      ['synthetic 12 MP JPEGs', large],
    ] as const) {
      log(`scan: ${name} on ${url ? 'PostgreSQL' : 'PGlite'}`);
      runs.push(await scanOnce(name, inputs, url));
    }
  }
  return table(
    ['corpus', 'database', 'files', 'megapixels', 'start-up (ms)', 'seconds', 'files/s', 'MP/s'],
    runs.map((r) => [r.corpus, r.database, r.files, r.megapixels.toFixed(0), r.startupMs, r.seconds.toFixed(1), (r.files / r.seconds).toFixed(1), (r.megapixels / r.seconds).toFixed(1)]),
  );
}
