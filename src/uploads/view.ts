/**
 * The API's view of one upload (`GET /v1/uploads/:id`, `?wait` answers): the row with its verdict,
 * signals, parties and review state, read by one statement.
 */
import { queryOne, type Queryable, type Row, type Statement } from '../db/database.ts';
import type { UploadRow, VerdictRow } from '../db/uploads.ts';
import type { Signal } from '../detectors/types.ts';
import type { ReviewItem } from '../review/items.ts';

export type UploadView = Record<string, unknown>;

/** `bigint` columns arrive as strings from `pg` and as numbers from PGlite; the API always sends numbers. */
export const num = (value: unknown): number => (typeof value === 'number' ? value : Number(value));

interface PartyRef {
  id: string;
  external_id: string;
}

interface UploadViewRow extends UploadRow {
  verdict: (Omit<VerdictRow, 'decided_at'> & { decided_at: string }) | null;
  signals: Array<Signal & { id: number; evidence?: Record<string, unknown> | null }>;
  contributor: PartyRef | null;
  device: PartyRef | null;
  task: PartyRef | null;
  review_item: (Omit<ReviewItem, 'claim_expires_at' | 'created_at'> & { claim_expires_at: string | null; created_at: string }) | null;
  review_decisions: Array<Record<string, unknown> & { created_at: string }>;
}

// One statement, so one snapshot: the verdict, the status and the signals a worker commits together are
// seen together, and a `?wait` answer costs one round trip.
const UPLOAD_VIEW_SQL = `
  SELECT u.*,
    (SELECT row_to_json(v) FROM (SELECT decision, reasons, scores, policy_version, decided_at FROM verdicts WHERE upload_id = u.id) v) AS verdict,
    (SELECT coalesce(json_agg(s ORDER BY s.id), '[]'::json)
       FROM (SELECT id, code, score, severity, message, evidence FROM signals WHERE tenant_id = u.tenant_id AND upload_id = u.id) s) AS signals,
    (SELECT json_build_object('id', c.id, 'external_id', c.external_id) FROM contributors c WHERE c.id = u.contributor_id) AS contributor,
    (SELECT json_build_object('id', d.id, 'external_id', d.external_id) FROM devices d WHERE d.id = u.device_id) AS device,
    (SELECT json_build_object('id', t.id, 'external_id', t.external_id) FROM tasks t WHERE t.id = u.task_id) AS task,
    (SELECT row_to_json(r) FROM (SELECT id, upload_id, priority, reasons, status, claimed_by, claim_expires_at, created_at
       FROM review_items WHERE tenant_id = u.tenant_id AND upload_id = u.id) r) AS review_item,
    (SELECT coalesce(json_agg(d ORDER BY d.created_at), '[]'::json)
       FROM (SELECT id, decision, reviewer, labels, notes, created_at FROM review_decisions WHERE tenant_id = u.tenant_id AND upload_id = u.id) d) AS review_decisions
  FROM uploads u WHERE u.tenant_id = $1 AND u.id = $2`;

const date = (value: string | null): Date | null => (value === null ? null : new Date(value));

/** Everything a client wants to know about one upload, in the shape of `uploadSchema`. */
export async function uploadView(db: Queryable, tenantId: string, uploadId: string): Promise<UploadView | undefined> {
  const { sql, params } = uploadViewStatement(tenantId, uploadId);
  const row = await queryOne(db, sql, params);
  return row ? toUploadView(row) : undefined;
}

/** The view's query, for a batch that reads it in the same round trip as the commit that decides the upload. */
export function uploadViewStatement(tenantId: string, uploadId: string): Statement {
  return { sql: UPLOAD_VIEW_SQL, params: [tenantId, uploadId] };
}

export function toUploadView(raw: Row): UploadView {
  const row = raw as unknown as UploadViewRow;
  const item = row.review_item;
  return {
    id: row.id,
    status: row.status,
    sha256: row.sha256,
    bytes: num(row.bytes),
    file_name: row.file_name,
    media: row.mime ? { kind: row.media_kind, mime: row.mime, width: row.width, height: row.height, duration_s: row.duration_s } : null,
    contributor: row.contributor,
    device: row.device,
    task: row.task,
    client_ip: row.client_ip,
    captured_at: row.captured_at,
    received_at: row.received_at,
    processed_at: row.processed_at,
    attempts: row.attempts,
    verdict: row.verdict ? { ...row.verdict, decided_at: date(row.verdict.decided_at) } : null,
    error: row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : null,
    signals: row.signals.map(({ id: _id, evidence, ...signal }) => (evidence === null || evidence === undefined ? signal : { ...signal, evidence })),
    fingerprints: row.fingerprints,
    scores: row.scores,
    review: {
      item: item ? { ...item, claim_expires_at: date(item.claim_expires_at), created_at: date(item.created_at) } : null,
      decisions: row.review_decisions.map((d) => ({ ...d, created_at: date(d.created_at) })),
    },
  };
}

