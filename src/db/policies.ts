import type { PolicySpec } from '../policy/spec.ts';
import { queryOne, type Queryable } from './database.ts';

export interface StoredPolicy {
  version: number;
  spec: PolicySpec;
  created_at: Date;
}

export async function latestPolicy(db: Queryable, tenantId: string): Promise<StoredPolicy | undefined> {
  return queryOne<StoredPolicy>(db, 'SELECT version, spec, created_at FROM policies WHERE tenant_id = $1 ORDER BY version DESC LIMIT 1', [tenantId]);
}

/** Policies are versioned, never edited: each save is a new version, and verdicts record the one they used. */
export async function savePolicy(db: Queryable, tenantId: string, spec: PolicySpec): Promise<number> {
  const rows = await db.query<{ version: number }>(
    `INSERT INTO policies (tenant_id, version, spec)
     SELECT $1, COALESCE(MAX(version), 0) + 1, $2 FROM policies WHERE tenant_id = $1 RETURNING version`,
    [tenantId, JSON.stringify(spec)],
  );
  return rows[0]!.version;
}
