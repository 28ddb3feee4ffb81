/**
 * SQL side of the local matcher: writing keypoints (an upload's at commit, a bank entry's at import)
 * and turning verified index hits (row ids) into the uploads and bank entries detectors report.
 */
import type { Queryable } from '../../db/database.ts';
import type { KeypointSet } from '../../fingerprint/keypoints/extract.ts';
import { encodeKeypoints } from '../../fingerprint/keypoints/format.ts';
import { HASHES_CHANNEL } from '../follower.ts';
import type { BankHitRow, UploadHitRow } from '../store.ts';

/** In the verdict's transaction, like the upload's PDQ: later uploads only see keypoints of decided uploads. */
export async function recordUploadKeypoints(tx: Queryable, tenantId: string, uploadId: string, keypoints: KeypointSet): Promise<void> {
  if (keypoints.count === 0) return;
  await tx.query(
    `INSERT INTO upload_keypoints (tenant_id, upload_id, data) VALUES ($1, $2, $3) ON CONFLICT (upload_id) DO NOTHING`,
    [tenantId, uploadId, encodeKeypoints(keypoints)],
  );
  await tx.query('SELECT pg_notify($1, $2)', [HASHES_CHANNEL, 'keypoints']);
}

/** Keypoints of bank entries just inserted (still images only: a video's frames are matched by PDQ). */
export async function insertBankEntryKeypoints(db: Queryable, tenantId: string, entries: ReadonlyArray<{ entryId: number; keypoints: KeypointSet }>): Promise<void> {
  const rows = entries.filter((e) => e.keypoints.count > 0);
  if (rows.length === 0) return;
  for (const e of rows) {
    await db.query(`INSERT INTO bank_entry_keypoints (tenant_id, entry_id, data) VALUES ($1, $2, $3) ON CONFLICT (entry_id) DO NOTHING`, [
      tenantId,
      e.entryId,
      encodeKeypoints(e.keypoints),
    ]);
  }
  await db.query('SELECT pg_notify($1, $2)', [HASHES_CHANNEL, 'keypoints']);
}

/** Uploads behind keypoint rows, of the tenant, and with `before` only those that arrived before it (as uploadsForHits). */
export async function uploadsForKeypointHits(db: Queryable, tenantId: string, rowIds: readonly number[], before?: string): Promise<Array<Omit<UploadHitRow, 'frame'>>> {
  if (rowIds.length === 0) return [];
  return db.query(
    `SELECT k.id AS hash_id, k.upload_id, u.contributor_id, u.received_at, u.sha256, u.file_name, v.decision
       FROM upload_keypoints k JOIN uploads u ON u.id = k.upload_id
       LEFT JOIN verdicts v ON v.upload_id = u.id
      WHERE k.id = ANY($2::bigint[]) AND k.tenant_id = $1
        AND ($3::uuid IS NULL OR EXISTS (
          SELECT 1 FROM uploads self WHERE self.id = $3 AND self.id <> u.id
             AND (u.received_at < self.received_at OR (u.received_at = self.received_at AND u.id < self.id))))`,
    [tenantId, rowIds, before ?? null],
  );
}

/** Bank entries behind keypoint rows, in enabled banks of the tenant; `hash_id` is the keypoint row. */
export async function bankEntriesForKeypointHits(db: Queryable, tenantId: string, rowIds: readonly number[]): Promise<Array<BankHitRow & { hash_id: number }>> {
  if (rowIds.length === 0) return [];
  return db.query(
    `SELECT k.id AS hash_id, e.id AS entry_id, e.bank_id, b.name AS bank_name, b.kind AS bank_kind, e.import_key, e.frame, e.source_url, e.source, e.sha256
       FROM bank_entry_keypoints k JOIN bank_entries e ON e.id = k.entry_id JOIN banks b ON b.id = e.bank_id
      WHERE k.id = ANY($2::bigint[]) AND k.tenant_id = $1 AND b.enabled`,
    [tenantId, rowIds],
  );
}
