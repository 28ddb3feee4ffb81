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

/**
 * The upserts as SQL with their parameters named by the caller ($n placeholders), so an upload's
 * insert can carry them in its own WITH clause: one round trip for the upload and all three parties.
 */
export const partyUpsertSql = {
  contributor: (id: string, tenant: string, external: string) =>
    `INSERT INTO contributors (id, tenant_id, external_id) VALUES (${id}, ${tenant}, ${external})
     ON CONFLICT (tenant_id, external_id) DO UPDATE SET external_id = EXCLUDED.external_id
     RETURNING id, external_id, created_at`,
  device: (id: string, tenant: string, external: string, model: string, os: string, appVersion: string) =>
    `INSERT INTO devices (id, tenant_id, external_id, model, os, app_version) VALUES (${id}, ${tenant}, ${external}, ${model}, ${os}, ${appVersion})
     ON CONFLICT (tenant_id, external_id) DO UPDATE SET
       model = COALESCE(EXCLUDED.model, devices.model),
       os = COALESCE(EXCLUDED.os, devices.os),
       app_version = COALESCE(EXCLUDED.app_version, devices.app_version),
       last_seen_at = now()
     RETURNING id, external_id, model, os, app_version, first_seen_at, last_seen_at`,
  /** `replaceSpec` false keeps a known task's spec when the caller sent none. */
  task: (id: string, tenant: string, external: string, spec: string, givenAt: string, replaceSpec: string) =>
    `INSERT INTO tasks (id, tenant_id, external_id, spec, given_at) VALUES (${id}, ${tenant}, ${external}, ${spec}, ${givenAt})
     ON CONFLICT (tenant_id, external_id) DO UPDATE SET
       spec = CASE WHEN ${replaceSpec}::boolean THEN EXCLUDED.spec ELSE tasks.spec END,
       given_at = COALESCE(EXCLUDED.given_at, tasks.given_at)
     RETURNING id, external_id, spec, given_at, created_at`,
};

export const deviceParams = (report: DeviceReport): unknown[] => [report.id, report.model ?? null, report.os ?? null, report.app_version ?? null];
export const taskParams = (externalId: string, spec: Record<string, unknown> | undefined, givenAt: Date | undefined): unknown[] => [
  externalId,
  JSON.stringify(spec ?? {}),
  givenAt ?? null,
  spec !== undefined,
];

export async function upsertContributor(db: Queryable, tenantId: string, externalId: string): Promise<Contributor> {
  const rows = await db.query<Contributor>(partyUpsertSql.contributor('$1', '$2', '$3'), [newId(), tenantId, externalId]);
  return rows[0]!;
}

export async function upsertDevice(db: Queryable, tenantId: string, report: DeviceReport): Promise<Device> {
  const rows = await db.query<Device>(partyUpsertSql.device('$1', '$2', '$3', '$4', '$5', '$6'), [newId(), tenantId, ...deviceParams(report)]);
  return rows[0]!;
}

export async function upsertTask(
  db: Queryable,
  tenantId: string,
  externalId: string,
  spec: Record<string, unknown> | undefined,
  givenAt: Date | undefined,
): Promise<Task> {
  const rows = await db.query<Task>(partyUpsertSql.task('$1', '$2', '$3', '$4', '$5', '$6'), [newId(), tenantId, ...taskParams(externalId, spec, givenAt)]);
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
