import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { newId } from '../../src/db/ids.ts';
import { migrate } from '../../src/db/migrate.ts';
import { upsertContributor, upsertDevice, upsertTask } from '../../src/db/parties.ts';
import { insertUploadStatement } from '../../src/db/uploads.ts';
import { createTenant } from '../../src/db/tenants.ts';
import type { Detector, UploadFacts } from '../../src/detectors/types.ts';
import { BACKENDS, freshPostgres, type TestDatabase } from '../support/databases.ts';
import { TINY_JPEG } from '../support/bad-inputs.ts';
import { startTestTollgate } from '../support/tollgate.ts';

/** The row version: a write (even of the same values) gives the row a new xmin. */
async function versionOf(db: Database, table: 'contributors' | 'devices' | 'tasks', id: string): Promise<string> {
  const rows = await db.query<{ xmin: string }>(`SELECT xmin::text AS xmin FROM ${table} WHERE id = $1`, [id]);
  return rows[0]!.xmin;
}

describe.each(BACKENDS)('contributors, devices and tasks on $name: read first, written when new or changed', (backend) => {
  let handle: TestDatabase;
  let db: Database;
  const tenantId = newId();

  beforeAll(async () => {
    handle = await backend.open();
    db = handle.db;
    await migrate(db);
    await db.query('INSERT INTO tenants (id, name) VALUES ($1, $2)', [tenantId, `parties-${tenantId}`]);
  });
  afterAll(() => handle?.drop());

  const upload = (fields: Partial<Parameters<typeof insertUploadStatement>[0]>) =>
    insertUploadStatement({ id: newId(), tenantId, sha256: 'a'.repeat(64), blobKey: 'k', bytes: 1, ...fields });

  it('creates a contributor on first sight and leaves its row untouched by later uploads', async () => {
    const first = await upsertContributor(db, tenantId, 'alice');
    const version = await versionOf(db, 'contributors', first.id);
    for (let i = 0; i < 3; i++) {
      const { sql, params } = upload({ contributor: 'alice' });
      await db.query(sql, params);
    }
    expect(await upsertContributor(db, tenantId, 'alice')).toEqual(first);
    expect(await versionOf(db, 'contributors', first.id)).toBe(version);
    const named = await db.query<{ contributor_id: string }>('SELECT DISTINCT contributor_id FROM uploads WHERE tenant_id = $1', [tenantId]);
    expect(named).toEqual([{ contributor_id: first.id }]);
  });

  it('updates a device when its report changes, and otherwise writes it at most once a minute', async () => {
    const first = await upsertDevice(db, tenantId, { id: 'phone-1', model: 'Pixel 8', os: 'Android 15' });
    const version = await versionOf(db, 'devices', first.id);
    // The same report, or one that leaves fields out, changes nothing.
    expect(await upsertDevice(db, tenantId, { id: 'phone-1', model: 'Pixel 8' })).toEqual(first);
    expect(await versionOf(db, 'devices', first.id)).toBe(version);

    const upgraded = await upsertDevice(db, tenantId, { id: 'phone-1', os: 'Android 16', app_version: '2.1.0' });
    expect(upgraded).toMatchObject({ id: first.id, model: 'Pixel 8', os: 'Android 16', app_version: '2.1.0' });
    expect(await versionOf(db, 'devices', first.id)).not.toBe(version);

    // Last seen more than a minute ago: the next upload naming it moves last_seen_at.
    await db.query(`UPDATE devices SET last_seen_at = now() - interval '2 minutes' WHERE id = $1`, [first.id]);
    const { sql, params } = upload({ device: { id: 'phone-1' } });
    await db.query(sql, params);
    const [seen] = await db.query<{ recent: boolean }>(`SELECT last_seen_at > now() - interval '1 minute' AS recent FROM devices WHERE id = $1`, [first.id]);
    expect(seen?.recent).toBe(true);
  });

  it('replaces a task spec only when one is sent and differs', async () => {
    const first = await upsertTask(db, tenantId, 'trash', { prompt: 'take out the trash' }, undefined);
    const version = await versionOf(db, 'tasks', first.id);
    expect(await upsertTask(db, tenantId, 'trash', undefined, undefined)).toEqual(first);
    expect(await upsertTask(db, tenantId, 'trash', { prompt: 'take out the trash' }, undefined)).toEqual(first);
    expect(await versionOf(db, 'tasks', first.id)).toBe(version);

    const givenAt = new Date('2026-11-01T10:00:00Z');
    const changed = await upsertTask(db, tenantId, 'trash', { prompt: 'wash the dishes' }, givenAt);
    expect(changed).toMatchObject({ id: first.id, spec: { prompt: 'wash the dishes' } });
    expect(new Date(changed.given_at!).toISOString()).toBe(givenAt.toISOString());
    expect(await versionOf(db, 'tasks', first.id)).not.toBe(version);
  });

  it('ends a party first seen by many statements at once as one row', async () => {
    const statements = Array.from({ length: 8 }, () => upload({ contributor: 'bob', device: { id: 'phone-2', model: 'iPhone 16' }, task: { externalId: 'dog' } }));
    await Promise.all(statements.map(({ sql, params }) => db.query(sql, params)));
    for (const [table, external] of [['contributors', 'bob'], ['devices', 'phone-2'], ['tasks', 'dog']] as const) {
      const rows = await db.query<{ id: string }>(`SELECT id FROM ${table} WHERE tenant_id = $1 AND external_id = $2`, [tenantId, external]);
      expect(rows).toHaveLength(1);
      const column = { contributors: 'contributor_id', devices: 'device_id', tasks: 'task_id' }[table];
      const named = await db.query<{ id: string }>(`SELECT DISTINCT ${column} AS id FROM uploads WHERE tenant_id = $1 AND ${column} IS NOT NULL AND ${column} = $2`, [tenantId, rows[0]!.id]);
      expect(named).toEqual([{ id: rows[0]!.id }]);
    }
    const counted = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM uploads u JOIN contributors c ON c.id = u.contributor_id WHERE c.external_id = 'bob'`);
    expect(counted[0]?.n).toBe('8');
  });
});

// PostgreSQL only: PGlite has one connection, so a second statement cannot run while a transaction holds it.
describe('a party first seen by two transactions on postgres', () => {
  let handle: TestDatabase;
  let db: Database;
  const tenantId = newId();

  beforeAll(async () => {
    handle = await freshPostgres();
    db = handle.db;
    await migrate(db);
    await db.query('INSERT INTO tenants (id, name) VALUES ($1, $2)', [tenantId, `parties-tx-${tenantId}`]);
  });
  afterAll(() => handle?.drop());

  it('returns the row a concurrent transaction inserted once that one commits', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let signalInserted!: () => void;
    const inserted = new Promise<void>((resolve) => (signalInserted = resolve));
    const first = db.transaction(async (tx) => {
      const row = await upsertContributor(tx, tenantId, 'carol');
      signalInserted();
      await held;
      return row;
    });
    await inserted;
    // Not yet visible to this statement: its INSERT waits on the first transaction's row, then updates it.
    const second = upsertContributor(db, tenantId, 'carol');
    await new Promise((resolve) => setTimeout(resolve, 100));
    release();
    const [a, b] = await Promise.all([first, second]);
    expect(b.id).toBe(a.id);
  });

});

describe.each(BACKENDS)('what a worker tells detectors about the upload on $name', (backend) => {
  it('hands them the device and task as stored, read in the claim', async () => {
    const handle = await backend.open();
    const seen = new Map<string, UploadFacts>();
    const recorder: Detector = {
      name: 'test.facts',
      codes: [],
      kinds: ['image'],
      detect: async (_view, context) => {
        if (context.upload.uploadId) seen.set(context.upload.uploadId, context.upload);
        return [];
      },
    };
    const t = await startTestTollgate(handle, {}, {}, { extraDetectors: [recorder] });
    try {
      await t.startWorkers();
      const tenant = await createTenant(t.tollgate.db, `facts-${newId()}`);
      const report = await t.upload(tenant.id, TINY_JPEG, {
        contributor_id: 'dana',
        device: { id: 'phone-9', model: 'Pixel 9', os: 'Android 16', app_version: '4.0.0' },
        task_id: 'trash-9',
        task: { spec: { media: 'image' }, given_at: '2026-11-20T08:00:00Z' },
        client_ip: '203.0.113.9',
        captured_at: '2026-11-20T08:05:00Z',
      });
      const facts = seen.get(report.id);
      expect(facts).toMatchObject({
        tenantId: tenant.id,
        device: { externalId: 'phone-9', model: 'Pixel 9', os: 'Android 16', appVersion: '4.0.0' },
        task: { spec: { media: 'image' }, givenAt: new Date('2026-11-20T08:00:00Z') },
        clientIp: '203.0.113.9',
        capturedAt: new Date('2026-11-20T08:05:00Z'),
      });
      expect(facts?.contributorId).toMatch(/^[0-9a-f-]{36}$/);
      expect(facts?.task?.id).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      await t.close();
    }
  });
});
