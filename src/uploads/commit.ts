/**
 * The verdict commit: everything an analysed upload leaves behind, written by one SQL statement so a
 * verdict costs one round trip. The verdict's primary key makes it exactly-once: a second run of the
 * same upload (after a crash or a lost lease) inserts no verdict, and every other part of the
 * statement hangs off the inserted verdict, so it writes nothing either.
 *
 * Parts: the verdict; its signals; the upload's final state; its PDQ/vPDQ hashes for later matching
 * (a later upload can only see hashes of uploads that have a verdict); a review item when the verdict
 * is `review`; a webhook delivery when the tenant (or the deployment) has a webhook URL; and the
 * NOTIFYs that wake waiting requests and other processes' indexes.
 */
import type { Queryable, Row, Statement } from '../db/database.ts';
import { newId } from '../db/ids.ts';
import type { UploadResult } from '../db/uploads.ts';
import { HASHES_CHANNEL } from '../matching/follower.ts';
import { hashRowsOf } from '../matching/store.ts';

export interface CommitParts {
  /** Set when the verdict goes to review: the item's priority. */
  reviewPriority?: number | undefined;
  /** Set when a delivery may be recorded: its payload, and the URL used when the tenant has none. */
  delivery?: { payload: Record<string, unknown>; fallbackUrl: string | null } | undefined;
  verdictChannel: string;
  verdictNotice: string;
}

const STATEMENT = `WITH verdict AS (
    INSERT INTO verdicts (upload_id, tenant_id, decision, reasons, scores, policy_version) VALUES ($1, $2, $3, $4, $5, $6)
    ON CONFLICT (upload_id) DO NOTHING RETURNING upload_id
  ), new_signals AS (
    INSERT INTO signals (tenant_id, upload_id, code, score, severity, message, evidence)
    SELECT $2, verdict.upload_id, s.code, s.score, s.severity, s.message, s.evidence
      FROM verdict, jsonb_to_recordset($7::jsonb) AS s(code text, score float8, severity text, message text, evidence jsonb)
  ), final_state AS (
    UPDATE uploads SET status = $8, mime = COALESCE($9, mime), media_kind = COALESCE($10, media_kind), width = COALESCE($11, width),
      height = COALESCE($12, height), duration_s = COALESCE($13, duration_s), error_code = $14, error_message = $15,
      fingerprints = $16, scores = $17, processed_at = now()
    FROM verdict WHERE uploads.id = verdict.upload_id
  ), hashes AS (
    INSERT INTO upload_hashes (tenant_id, upload_id, kind, frame, time_s, hash, quality)
    SELECT $2, verdict.upload_id, r.kind, r.frame, r.time_s, r.hash, r.quality
      FROM verdict, jsonb_to_recordset($18::jsonb) AS r(kind text, frame int, time_s float8, hash text, quality int)
    ON CONFLICT (upload_id, kind, frame) DO NOTHING RETURNING 1
  ), review AS (
    INSERT INTO review_items (id, tenant_id, upload_id, priority, reasons)
    SELECT $19, $2, verdict.upload_id, $20, $4 FROM verdict WHERE $20::float8 IS NOT NULL
    ON CONFLICT (upload_id) DO NOTHING
  ), delivery AS (
    INSERT INTO webhook_deliveries (id, tenant_id, upload_id, event, url, payload)
    SELECT $21, $2, verdict.upload_id, 'upload.verdict', target.url, $22
      FROM verdict, (SELECT COALESCE((SELECT webhook_url FROM tenants WHERE id = $2), $23::text) AS url) target
     WHERE $22::jsonb IS NOT NULL AND target.url IS NOT NULL
    ON CONFLICT (upload_id, event) DO NOTHING RETURNING id
  )
  SELECT (SELECT id FROM delivery) AS delivery_id,
         pg_notify($24, $25) AS verdict_notified,
         CASE WHEN EXISTS (SELECT 1 FROM hashes) THEN pg_notify('${HASHES_CHANNEL}', 'uploads') END AS hashes_notified
    FROM verdict`;

/** The verdict commit as a statement, for a batch that completes the upload's job with it. */
export function commitVerdictStatement(r: UploadResult, parts: CommitParts): Statement {
  return {
    sql: STATEMENT,
    params: [
      r.uploadId, r.tenantId, r.verdict.decision, JSON.stringify(r.verdict.reasons), JSON.stringify(r.scores ?? {}), r.verdict.policy_version,
      JSON.stringify(r.signals.map((s) => ({ ...s, evidence: s.evidence ?? null }))),
      r.status, r.media?.mime ?? null, r.media?.kind ?? null, r.media?.width ?? null, r.media?.height ?? null,
      r.media?.durationS ?? null, r.error?.code ?? null, r.error?.message ?? null,
      r.fingerprints ? JSON.stringify(r.fingerprints) : null, r.scores ? JSON.stringify(r.scores) : null,
      JSON.stringify(hashRowsOf(r.media?.kind, r.fingerprints)),
      newId(), parts.reviewPriority ?? null,
      newId(), parts.delivery ? JSON.stringify({ event: 'upload.verdict', ...parts.delivery.payload }) : null, parts.delivery?.fallbackUrl ?? null,
      parts.verdictChannel, parts.verdictNotice,
    ],
  };
}

/** What the statement's rows mean: no row when another run had already recorded a verdict. */
export function commitOutcome(rows: readonly Row[]): { recorded: boolean; deliveryId: string | null } {
  return { recorded: rows.length > 0, deliveryId: (rows[0]?.['delivery_id'] as string | null | undefined) ?? null };
}

/**
 * Writes the result. Returns `{ recorded: false }` when another run had already recorded a verdict,
 * and the delivery id to enqueue when a webhook delivery was recorded.
 */
export async function commitVerdict(db: Queryable, r: UploadResult, parts: CommitParts): Promise<{ recorded: boolean; deliveryId: string | null }> {
  const { sql, params } = commitVerdictStatement(r, parts);
  return commitOutcome(await db.query(sql, params));
}
