import type { Queryable } from './database.ts';

export interface AuditEntry {
  tenantId: string | null;
  actor: string;
  action: string;
  subjectType?: string;
  subjectId?: string;
  data?: Record<string, unknown>;
}

/** Appends to the audit log; a trigger in the schema rejects updates and deletes. */
export async function audit(db: Queryable, entry: AuditEntry): Promise<void> {
  await db.query('INSERT INTO audit_log (tenant_id, actor, action, subject_type, subject_id, data) VALUES ($1, $2, $3, $4, $5, $6)', [
    entry.tenantId,
    entry.actor,
    entry.action,
    entry.subjectType ?? null,
    entry.subjectId ?? null,
    entry.data ? JSON.stringify(entry.data) : null,
  ]);
}

export async function listAudit(db: Queryable, tenantId: string, limit = 100): Promise<Array<Record<string, unknown>>> {
  return db.query('SELECT id, actor, action, subject_type, subject_id, data, at FROM audit_log WHERE tenant_id = $1 ORDER BY id DESC LIMIT $2', [
    tenantId,
    limit,
  ]);
}
