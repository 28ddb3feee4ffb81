import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { newId } from '../../src/db/ids.ts';
import { migrate } from '../../src/db/migrate.ts';
import { listUploads, type UploadListCursor, type UploadListFilter, type UploadStatus } from '../../src/db/uploads.ts';
import type { Verdict } from '../../src/policy/evaluate.ts';
import { BACKENDS, type TestDatabase } from '../support/databases.ts';

interface Fixture {
  id: string;
  tenantId: string;
  contributorId: string | null;
  deviceId: string | null;
  taskId: string | null;
  status: UploadStatus;
  decision: Verdict['decision'] | null;
  receivedAt: Date;
}

const STATUSES: UploadStatus[] = ['received', 'processing', 'done', 'error'];
const DECISIONS: Array<Verdict['decision']> = ['accept', 'review', 'reject'];

describe.each(BACKENDS)('listUploads on $name', (backend) => {
  let handle: TestDatabase;
  let db: Database;
  const tenants = [newId(), newId()];
  const parties = { contributors: [newId(), newId(), newId()], devices: [newId(), newId()], tasks: [newId(), newId()] };
  const fixtures: Fixture[] = [];

  beforeAll(async () => {
    handle = await backend.open();
    db = handle.db;
    await migrate(db);
    for (const [i, tenantId] of tenants.entries()) await db.query('INSERT INTO tenants (id, name) VALUES ($1, $2)', [tenantId, `list-${i}-${tenantId}`]);
    // Parties belong to the first tenant; the second tenant's uploads must never show up.
    for (const [table, ids] of Object.entries(parties)) {
      for (const [i, id] of ids.entries()) await db.query(`INSERT INTO ${table} (id, tenant_id, external_id) VALUES ($1, $2, $3)`, [id, tenants[0], `${table}-${i}`]);
    }
    const base = Date.parse('2026-03-01T00:00:00Z');
    for (let i = 0; i < 60; i++) {
      const tenantId = tenants[i % 7 === 0 ? 1 : 0]!;
      const own = tenantId === tenants[0];
      const fixture: Fixture = {
        id: newId(),
        tenantId,
        contributorId: own && i % 5 !== 0 ? parties.contributors[i % 3]! : null,
        deviceId: own && i % 4 !== 0 ? parties.devices[i % 2]! : null,
        taskId: own && i % 3 !== 0 ? parties.tasks[(i >> 1) % 2]! : null,
        status: STATUSES[i % 4]!,
        decision: i % 4 === 2 ? DECISIONS[i % 3]! : null,
        // Pairs share a timestamp, so the cursor's tie-break on id is exercised.
        receivedAt: new Date(base + Math.floor(i / 2) * 1000),
      };
      fixtures.push(fixture);
      await db.query(
        `INSERT INTO uploads (id, tenant_id, sha256, blob_key, bytes, contributor_id, device_id, task_id, status, received_at)
         VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $8, $9)`,
        [fixture.id, tenantId, 'a'.repeat(64), `k${i}`, fixture.contributorId, fixture.deviceId, fixture.taskId, fixture.status, fixture.receivedAt],
      );
      if (fixture.decision) {
        await db.query(`INSERT INTO verdicts (upload_id, tenant_id, decision, reasons, scores, policy_version) VALUES ($1, $2, $3, '[]', '{}', 1)`, [
          fixture.id,
          tenantId,
          fixture.decision,
        ]);
      }
    }
  });
  afterAll(() => handle.drop());

  /** What the list must return: the tenant's matching uploads, newest first, ties broken by id descending. */
  function expected(filter: UploadListFilter): string[] {
    return fixtures
      .filter(
        (f) =>
          f.tenantId === tenants[0] &&
          (!filter.status || f.status === filter.status) &&
          (!filter.decision || f.decision === filter.decision) &&
          (!filter.contributorId || f.contributorId === filter.contributorId) &&
          (!filter.deviceId || f.deviceId === filter.deviceId) &&
          (!filter.taskId || f.taskId === filter.taskId),
      )
      .sort((a, b) => b.receivedAt.getTime() - a.receivedAt.getTime() || (a.id < b.id ? 1 : -1))
      .map((f) => f.id);
  }

  /** Walks every page of `size` and returns the ids in order. */
  async function walk(filter: UploadListFilter, size: number): Promise<string[]> {
    const ids: string[] = [];
    let cursor: UploadListCursor | undefined;
    for (;;) {
      const rows = await listUploads(db, tenants[0]!, filter, cursor, size);
      ids.push(...rows.map((r) => r.id));
      const last = rows.at(-1);
      if (rows.length < size || !last) return ids;
      cursor = { atUs: last.at_us, id: last.id };
    }
  }

  it('returns every combination of filters, newest first, across pages', async () => {
    const options = {
      status: [undefined, 'done', 'error'] as const,
      decision: [undefined, 'reject', 'review'] as const,
      contributorId: [undefined, parties.contributors[1]],
      deviceId: [undefined, parties.devices[0]],
      taskId: [undefined, parties.tasks[1]],
    };
    let nonEmpty = 0;
    for (const status of options.status)
      for (const decision of options.decision)
        for (const contributorId of options.contributorId)
          for (const deviceId of options.deviceId)
            for (const taskId of options.taskId) {
              const filter: UploadListFilter = { status, decision, contributorId, deviceId, taskId };
              const want = expected(filter);
              if (want.length > 0) nonEmpty++;
              expect(await walk(filter, 3), JSON.stringify(filter)).toEqual(want);
            }
    // The fixture is built so the combinations are not all trivially empty.
    expect(nonEmpty).toBeGreaterThan(20);
  });

  it('reports each upload’s decision, or null before its verdict', async () => {
    const rows = await listUploads(db, tenants[0]!, {}, undefined, 100);
    const byId = new Map(fixtures.map((f) => [f.id, f]));
    expect(rows.length).toBe(expected({}).length);
    for (const row of rows) expect(row.decision).toBe(byId.get(row.id)!.decision);
  });
});
