import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTollgate, type Tollgate } from '../../src/app.ts';
import { createBank, insertBankEntries } from '../../src/banks/banks.ts';
import { loadConfig } from '../../src/config/index.ts';
import type { Database } from '../../src/db/database.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import { ensureTenant } from '../../src/db/tenants.ts';
import { MatchIndexes } from '../../src/matching/indexes.ts';
import { matchBytes } from '../../src/matching/match.ts';
import { ingestBytes } from '../../src/uploads/ingest.ts';
import { freshPostgres, postgresAvailable, type TestDatabase } from '../support/databases.ts';

const GIRAFFE = readFileSync('../shared/data/object-photos/giraffe.jpg');
const available = await postgresAvailable();

/**
 * Two Tollgate processes on one PostgreSQL: the API or a second worker must see hashes a first worker
 * committed, through the id watermark alone (no NOTIFY) and, warm, through NOTIFY.
 */
describe.skipIf(!available)('index catch-up across instances on PostgreSQL', () => {
  let database: TestDatabase;
  let secondDb: Database;
  let a: Tollgate;
  let b: Tollgate;
  const dirs: string[] = [];
  const processed = new Map<string, () => void>();

  const open = async (db: Database): Promise<Tollgate> => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-inst-'));
    dirs.push(dir);
    const config = loadConfig({ env: { TOLLGATE_DATA_DIR: dir } });
    return createTollgate(config, { db, queue: { pollingIntervalSeconds: 0.5 }, detectorFilter: (d) => d.name.startsWith('dup.') || d.name.startsWith('ref.') });
  };

  beforeAll(async () => {
    database = await freshPostgres();
    secondDb = await openPostgres(database.url!);
    a = await open(database.db);
    b = await open(secondDb);
    // Shared blob store: the upload is stored by A and may be processed by either.
    await a.startWorkers({ onProcessed: (id) => processed.get(id)?.() });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await secondDb?.close();
    await database?.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("finds another process's upload and bank entries by watermark, and NOTIFY keeps the index warm", async () => {
    const tenantId = (await ensureTenant(a.db, 'instances')).id;
    const cold = new MatchIndexes(secondDb, { listen: false });
    await cold.start();
    await b.indexes.start();
    expect(cold.size({ tenantId, kind: 'pdq' })).toBe(0);

    const { uploadId } = await ingestBytes(a, tenantId, GIRAFFE, { contributor_id: 'alice' });
    await new Promise<void>((resolve) => processed.set(uploadId, resolve));
    const bank = await createBank(a.db, tenantId, 'web', 'internet');
    await insertBankEntries(a.db, bank, [{ importKey: 'k', pdq: 'a'.repeat(64), quality: 100, sourceUrl: 'https://example.com/a.jpg' }]);

    // Warm: B's own index hears the NOTIFY and catches up without being asked.
    for (let i = 0; i < 50 && b.indexes.size({ tenantId, kind: 'pdq' }) === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(b.indexes.size({ tenantId, kind: 'pdq' })).toBe(1);

    // Cold: no NOTIFY at all; the search catches up by watermark first.
    const copy = await sharp(GIRAFFE).resize(700).jpeg({ quality: 60 }).toBuffer();
    const report = await matchBytes({ db: secondDb, indexes: cold, tenantId }, copy, b.config.limits);
    expect(report.uploads).toMatchObject([{ upload_id: uploadId, distance: expect.any(Number), exact: false }]);
    expect(cold.size({ tenantId, kind: 'banks' })).toBe(1);
    await cold.close();
  });

  it('does not skip a row whose id was taken before a later row committed', async () => {
    const tenantId = (await ensureTenant(a.db, 'gaps')).id;
    const bank = await createBank(a.db, tenantId, 'gap-bank', 'fraud');
    const index = new MatchIndexes(secondDb, { listen: false });
    await index.start();
    const slow = new pg.Client({ connectionString: database.url! });
    await slow.connect();
    try {
      const insert = `INSERT INTO bank_entries (bank_id, tenant_id, import_key, pdq, quality) VALUES ($1, $2, $3, $4, 100)`;
      await slow.query('BEGIN');
      await slow.query(insert, [bank.id, tenantId, 'slow', 'b'.repeat(64)]);
      await a.db.query(insert, [bank.id, tenantId, 'fast', 'c'.repeat(64)]);
      await index.catchUp();
      expect(index.size({ tenantId, kind: 'banks' })).toBe(1);
      await slow.query('COMMIT');
      await index.catchUp();
      expect(index.size({ tenantId, kind: 'banks' })).toBe(2);
      // Flat images (PDQ quality < 50) match everything flat, so upstream never matches on them.
      await a.db.query(`INSERT INTO bank_entries (bank_id, tenant_id, import_key, pdq, quality) VALUES ($1, $2, 'flat', $3, 10)`, [bank.id, tenantId, 'd'.repeat(64)]);
      await index.catchUp();
      expect(index.size({ tenantId, kind: 'banks' })).toBe(2);
    } finally {
      await slow.end();
      await index.close();
    }
  });
});
