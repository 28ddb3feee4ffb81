import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTollgate } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';
import { openPglite } from '../../src/db/pglite.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import { ensureTenant } from '../../src/db/tenants.ts';
import { ingestBytes } from '../../src/uploads/ingest.ts';
import { freshPostgres, postgresAvailable, type TestDatabase } from '../support/databases.ts';

const PHOTOS = ['dog.jpg', 'eagle.jpg', 'giraffe.jpg', 'horses.jpg'].map((f) => join('../shared/data/object-photos', f));

interface Worker {
  child: ChildProcess;
  lines: string[];
  waitFor(pattern: RegExp, timeoutMs: number): Promise<string>;
}

function startWorker(env: Record<string, string>): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/worker-process.ts'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const w of [...waiters]) if (w.pattern.test(line)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(line);
    }
  });
  return {
    child,
    lines,
    waitFor: (pattern, timeoutMs) =>
      new Promise((resolve, reject) => {
        const seen = lines.find((l) => pattern.test(l));
        if (seen) return resolve(seen);
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; saw: ${lines.join(' | ')}`)), timeoutMs);
        waiters.push({ pattern, resolve: (line) => (clearTimeout(timer), resolve(line)) });
      }),
  };
}

/** Starts a worker process and waits until it has processed every upload of `ids`, then stops it. */
async function rescue(env: Record<string, string>, ids: readonly string[]): Promise<void> {
  const rescuer = startWorker(env);
  try {
    for (const id of ids) await rescuer.waitFor(new RegExp(`^processed ${id} `), 60_000);
  } finally {
    rescuer.child.kill('SIGTERM');
    await new Promise((resolve) => rescuer.child.once('exit', resolve));
  }
}

const BACKENDS = ['postgres', 'pglite'] as const;

describe.each(BACKENDS)('a worker killed in the middle of processing (%s)', (backend) => {
  let database: TestDatabase | undefined;
  let dataDir: string;
  let available = true;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tollgate-crash-'));
    if (backend === 'postgres') {
      available = await postgresAvailable();
      if (available) database = await freshPostgres();
    }
  });
  afterAll(async () => {
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('loses nothing: another worker finishes every upload, each with exactly one verdict', async (context) => {
    if (!available) return context.skip();
    // Embedded mode: the worker processes reopen the same PGlite directory, one at a time.
    const env: Record<string, string> = { TOLLGATE_DATA_DIR: dataDir, ...(database ? { DATABASE_URL: database.url! } : {}) };
    const config = loadConfig({ env });
    const open = () => (database ? openPostgres(database.url!) : openPglite(`${dataDir}/pglite`));
    // Ingest with no worker running: the jobs wait in the queue.
    let db = await open();
    const producer = await createTollgate(config, { db, queue: { expireSeconds: 4 } });
    const tenant = await ensureTenant(db, 'crash');
    const ids: string[] = [];
    for (const [i, path] of PHOTOS.entries()) {
      ids.push((await ingestBytes(producer, tenant.id, readFileSync(path), { contributor_id: `c${i}` })).uploadId);
    }
    await producer.close();
    await db.close();

    const doomed = startWorker({ ...env, SLOW_MS: '60000' });
    const line = await doomed.waitFor(/^processing /, 30_000);
    const victim = line.split(' ')[1]!;
    doomed.child.kill('SIGKILL');
    await new Promise((resolve) => doomed.child.once('exit', resolve));

    await rescue(env, ids);

    db = await open();
    const verdicts = await db.query<{ upload_id: string; n: number }>(
      'SELECT upload_id, count(*)::int AS n FROM verdicts WHERE tenant_id = $1 GROUP BY upload_id',
      [tenant.id],
    );
    expect(verdicts.map((v) => v.upload_id).sort()).toEqual([...ids].sort());
    expect(verdicts.every((v) => v.n === 1)).toBe(true);
    const uploads = await db.query<{ id: string; status: string; attempts: number }>('SELECT id, status, attempts FROM uploads WHERE tenant_id = $1', [tenant.id]);
    expect(uploads.every((u) => u.status === 'done')).toBe(true);
    // The killed run counted as an attempt; the rescuer's was the second.
    expect(uploads.find((u) => u.id === victim)?.attempts).toBe(2);
    const summaries = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM signals WHERE upload_id = $1 AND code = $2', [victim, 'meta.summary']);
    expect(summaries[0]!.n).toBeLessThanOrEqual(1);
    await db.close();
  }, 120_000);

  it('loses nothing held: uploads a killed process held for its own workers are queued once their holds expire, each decided once', async (context) => {
    if (!available) return context.skip();
    const env: Record<string, string> = { TOLLGATE_DATA_DIR: dataDir, TOLLGATE_WORKER_BACKLOG: '8', ...(database ? { DATABASE_URL: database.url! } : {}) };
    // The process ingests the photos itself: the first takes its free slot, the rest wait in its backlog.
    const doomed = startWorker({ ...env, SLOW_MS: '60000', INGEST: PHOTOS.join(',') });
    const victim = (await doomed.waitFor(/^processing /, 30_000)).split(' ')[1]!;
    const ingested = () => doomed.lines.filter((line) => line.startsWith('ingested ')).map((line) => line.split(' ')[1]!);
    await vi.waitFor(() => expect(ingested()).toHaveLength(PHOTOS.length), { timeout: 30_000 });
    const ids = ingested();
    doomed.child.kill('SIGKILL');
    await new Promise((resolve) => doomed.child.once('exit', resolve));

    const open = () => (database ? openPostgres(database.url!) : openPglite(`${dataDir}/pglite`));
    let db = await open();
    // Held, they had no queue job: their holds are all that is left of them.
    expect(await db.query(`SELECT 1 FROM pgboss.job WHERE data->>'uploadId' = ANY($1::text[])`, [ids])).toEqual([]);
    expect((await db.query<{ upload_id: string }>('SELECT upload_id FROM upload_holds')).map((h) => h.upload_id).sort()).toEqual([...ids].sort());
    await db.close();

    await rescue(env, ids);
    db = await open();
    const verdicts = await db.query<{ upload_id: string; n: number }>('SELECT upload_id, count(*)::int AS n FROM verdicts WHERE upload_id = ANY($1::uuid[]) GROUP BY upload_id', [ids]);
    expect(verdicts.map((v) => v.upload_id).sort()).toEqual([...ids].sort());
    expect(verdicts.every((v) => v.n === 1)).toBe(true);
    expect(ids).toContain(victim);
    expect(await db.query('SELECT 1 FROM upload_holds')).toEqual([]);
    await db.close();
  }, 120_000);
});
