import type { Queryable } from './database.ts';
import { newId } from './ids.ts';

/** Contributors, devices and tasks as the app names them: tenant-scoped external ids, created on first sight. */

export interface Contributor {
  id: string;
  external_id: string;
  created_at: Date;
}

export interface Device {
  id: string;
  external_id: string;
  model: string | null;
  os: string | null;
  app_version: string | null;
  first_seen_at: Date;
  last_seen_at: Date;
}

export interface Task {
  id: string;
  external_id: string;
  spec: Record<string, unknown>;
  given_at: Date | null;
  created_at: Date;
}

export interface DeviceReport {
  id: string;
  model?: string | undefined;
  os?: string | undefined;
  app_version?: string | undefined;
}

interface ReadOrWrite {
  table: PartyTable;
  tenant: string;
  external: string;
  /** Column list and typed values of the row written when the party is new. */
  insert: { columns: string; values: string };
  /** Over the known row `e`: true when the report changes nothing, so nothing is written. */
  unchanged: string;
  /** The DO UPDATE's SET clause, for a changed party or a concurrent first sight. */
  set: string;
}

/** A party as SQL for a statement's WITH clause. */
export interface PartySql {
  /** The CTE `name`: the party's row when this statement wrote it (new, changed, or first seen concurrently); else empty. */
  cte: string;
  /** An expression for the party's id: the written row's, else the known row's. */
  id: string;
  /** A query for the party's whole row, to follow `WITH cte`. */
  row: string;
}

/**
 * The known row is read first and written only when the report changes it: an upload of a known
 * contributor writes nothing, so a busy contributor's row is not rewritten (and locked until commit) by
 * every upload. A party first seen by two statements at once still ends as one row: the second INSERT
 * meets the first's conflict, updates the row and returns it.
 */
function readOrWrite(name: string, p: ReadOrWrite): PartySql {
  const { columns } = LISTS[p.table];
  const match = `tenant_id = ${p.tenant} AND external_id = ${p.external}`;
  return {
    cte: `${name} AS (
      INSERT INTO ${p.table} (${p.insert.columns}) SELECT ${p.insert.values}
       WHERE NOT EXISTS (SELECT 1 FROM ${p.table} e WHERE ${match} AND ${p.unchanged})
      ON CONFLICT (tenant_id, external_id) DO UPDATE SET ${p.set}
      RETURNING ${columns})`,
    id: `COALESCE((SELECT id FROM ${name}), (SELECT id FROM ${p.table} WHERE ${match}))`,
    row: `SELECT ${columns} FROM ${name} UNION ALL SELECT ${columns} FROM ${p.table} WHERE ${match} AND NOT EXISTS (SELECT 1 FROM ${name})`,
  };
}

/**
 * The upserts with their parameters named by the caller ($n placeholders), so an upload's insert can
 * carry them in its own WITH clause: one round trip for the upload and all three parties.
 */
export const partyUpsertSql = {
  contributor: (name: string, id: string, tenant: string, external: string) =>
    readOrWrite(name, {
      table: 'contributors',
      tenant,
      external,
      insert: { columns: 'id, tenant_id, external_id', values: `${id}::uuid, ${tenant}::uuid, ${external}::text` },
      unchanged: 'true',
      set: 'external_id = EXCLUDED.external_id',
    }),
  /** `last_seen_at` is kept to the minute: a device's row is rewritten at most once a minute unless its report changes. */
  device: (name: string, id: string, tenant: string, external: string, model: string, os: string, appVersion: string) =>
    readOrWrite(name, {
      table: 'devices',
      tenant,
      external,
      insert: { columns: 'id, tenant_id, external_id, model, os, app_version', values: `${id}::uuid, ${tenant}::uuid, ${external}::text, ${model}::text, ${os}::text, ${appVersion}::text` },
      unchanged: `e.model IS NOT DISTINCT FROM COALESCE(${model}::text, e.model) AND e.os IS NOT DISTINCT FROM COALESCE(${os}::text, e.os)
        AND e.app_version IS NOT DISTINCT FROM COALESCE(${appVersion}::text, e.app_version) AND e.last_seen_at > now() - interval '1 minute'`,
      set: `model = COALESCE(EXCLUDED.model, devices.model), os = COALESCE(EXCLUDED.os, devices.os),
        app_version = COALESCE(EXCLUDED.app_version, devices.app_version), last_seen_at = now()`,
    }),
  /** `replaceSpec` false keeps a known task's spec when the caller sent none. */
  task: (name: string, id: string, tenant: string, external: string, spec: string, givenAt: string, replaceSpec: string) =>
    readOrWrite(name, {
      table: 'tasks',
      tenant,
      external,
      insert: { columns: 'id, tenant_id, external_id, spec, given_at', values: `${id}::uuid, ${tenant}::uuid, ${external}::text, ${spec}::jsonb, ${givenAt}::timestamptz` },
      unchanged: `(NOT ${replaceSpec}::boolean OR e.spec = ${spec}::jsonb) AND (${givenAt}::timestamptz IS NULL OR e.given_at = ${givenAt}::timestamptz)`,
      set: `spec = CASE WHEN ${replaceSpec}::boolean THEN EXCLUDED.spec ELSE tasks.spec END, given_at = COALESCE(EXCLUDED.given_at, tasks.given_at)`,
    }),
};

export const deviceParams = (report: DeviceReport): unknown[] => [report.id, report.model ?? null, report.os ?? null, report.app_version ?? null];
export const taskParams = (externalId: string, spec: Record<string, unknown> | undefined, givenAt: Date | undefined): unknown[] => [
  externalId,
  JSON.stringify(spec ?? {}),
  givenAt ?? null,
  spec !== undefined,
];

export async function upsertContributor(db: Queryable, tenantId: string, externalId: string): Promise<Contributor> {
  const party = partyUpsertSql.contributor('party', '$1', '$2', '$3');
  const rows = await db.query<Contributor>(`WITH ${party.cte} ${party.row}`, [newId(), tenantId, externalId]);
  return rows[0]!;
}

export async function upsertDevice(db: Queryable, tenantId: string, report: DeviceReport): Promise<Device> {
  const party = partyUpsertSql.device('party', '$1', '$2', '$3', '$4', '$5', '$6');
  const rows = await db.query<Device>(`WITH ${party.cte} ${party.row}`, [newId(), tenantId, ...deviceParams(report)]);
  return rows[0]!;
}

export async function upsertTask(
  db: Queryable,
  tenantId: string,
  externalId: string,
  spec: Record<string, unknown> | undefined,
  givenAt: Date | undefined,
): Promise<Task> {
  const party = partyUpsertSql.task('party', '$1', '$2', '$3', '$4', '$5', '$6');
  const rows = await db.query<Task>(`WITH ${party.cte} ${party.row}`, [newId(), tenantId, ...taskParams(externalId, spec, givenAt)]);
  return rows[0]!;
}

const LISTS = {
  contributors: { columns: 'id, external_id, created_at', order: 'created_at' },
  devices: { columns: 'id, external_id, model, os, app_version, first_seen_at, last_seen_at', order: 'first_seen_at' },
  tasks: { columns: 'id, external_id, spec, given_at, created_at', order: 'created_at' },
} as const;

export type PartyTable = keyof typeof LISTS;

export async function listParties<R extends object>(db: Queryable, table: PartyTable, tenantId: string, limit: number, offset: number): Promise<R[]> {
  const { columns, order } = LISTS[table];
  return db.query<R>(`SELECT ${columns} FROM ${table} WHERE tenant_id = $1 ORDER BY ${order} DESC, id LIMIT $2 OFFSET $3`, [tenantId, limit, offset]);
}

/** Looks up by our id or the app's external id. */
export async function getParty<R extends object>(db: Queryable, table: PartyTable, tenantId: string, idOrExternal: string, isUuid: boolean): Promise<R | undefined> {
  const rows = await db.query<R>(
    `SELECT ${LISTS[table].columns} FROM ${table} WHERE tenant_id = $1 AND (external_id = $2 ${isUuid ? 'OR id = $2::uuid' : ''}) LIMIT 1`,
    [tenantId, idOrExternal],
  );
  return rows[0];
}
