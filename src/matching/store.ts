/**
 * SQL side of matching: writing an upload's hashes at commit and turning index hits (row ids)
 * into what detectors and the API report.
 */
import type { BankMatch } from '../detectors/types.ts';
import type { Queryable } from '../db/database.ts';
import { HASHES_CHANNEL } from './follower.ts';

export interface StoredFrame {
  index: number;
  time_s?: number;
  hash: string;
  quality: number;
}

/**
 * Writes the upload's PDQ (images) or per-frame vPDQ (videos) in the verdict's transaction and pings
 * the other processes. Idempotent: a retried commit inserts nothing new.
 */
export async function recordUploadHashes(
  tx: Queryable,
  tenantId: string,
  uploadId: string,
  mediaKind: string | undefined,
  fingerprints: Record<string, unknown> | undefined,
): Promise<number> {
  const rows: Array<{ kind: 'pdq' | 'vpdq'; frame: number; time_s: number | null; hash: string; quality: number }> = [];
  if (mediaKind === 'video') {
    for (const f of framesOf(fingerprints)) rows.push({ kind: 'vpdq', frame: f.index, time_s: f.time_s ?? null, hash: f.hash, quality: f.quality });
  } else {
    const pdq = fingerprints?.['pdq'];
    if (isHash(pdq)) rows.push({ kind: 'pdq', frame: 0, time_s: null, hash: pdq.hash, quality: pdq.quality });
  }
  if (rows.length === 0) return 0;
  await tx.query(
    `WITH stored AS (
       INSERT INTO upload_hashes (tenant_id, upload_id, kind, frame, time_s, hash, quality)
       SELECT $1, $2, r.kind, r.frame, r.time_s, r.hash, r.quality
         FROM jsonb_to_recordset($3::jsonb) AS r(kind text, frame int, time_s float8, hash text, quality int)
       ON CONFLICT (upload_id, kind, frame) DO NOTHING
     )
     SELECT pg_notify($4, 'uploads')`,
    [tenantId, uploadId, JSON.stringify(rows), HASHES_CHANNEL],
  );
  return rows.length;
}

/** The vPDQ frames a video's fingerprints carry (see src/matching/fingerprints.ts). */
export function framesOf(fingerprints: Record<string, unknown> | undefined): StoredFrame[] {
  const frames = fingerprints?.['vpdq'];
  if (!Array.isArray(frames)) return [];
  return frames.filter((f): f is StoredFrame => isHash(f) && typeof (f as { index?: unknown }).index === 'number');
}

function isHash(value: unknown): value is { hash: string; quality: number } {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { hash?: unknown; quality?: unknown };
  return typeof v.hash === 'string' && /^[0-9a-f]{64}$/.test(v.hash) && typeof v.quality === 'number';
}

export interface UploadHitRow {
  hash_id: number;
  upload_id: string;
  frame: number;
  contributor_id: string | null;
  received_at: Date;
  sha256: string;
  file_name: string | null;
  decision: string | null;
}

/**
 * The uploads behind index hits, limited to the tenant and, with `before`, to uploads that arrived
 * before that one (ties broken by id, as priorUploadsBySha256 does), so of two copies the later is the duplicate.
 */
export async function uploadsForHits(db: Queryable, tenantId: string, hashIds: readonly number[], before?: string): Promise<UploadHitRow[]> {
  if (hashIds.length === 0) return [];
  return db.query<UploadHitRow>(
    `SELECT h.id AS hash_id, h.upload_id, h.frame, u.contributor_id, u.received_at, u.sha256, u.file_name, v.decision
       FROM upload_hashes h JOIN uploads u ON u.id = h.upload_id
       LEFT JOIN verdicts v ON v.upload_id = u.id
      WHERE h.id = ANY($2::bigint[]) AND h.tenant_id = $1
        AND ($3::uuid IS NULL OR EXISTS (
          SELECT 1 FROM uploads self WHERE self.id = $3 AND self.id <> u.id
             AND (u.received_at < self.received_at OR (u.received_at = self.received_at AND u.id < self.id))))`,
    [tenantId, hashIds, before ?? null],
  );
}

/** All kept frames of some videos, for the exact vPDQ comparison after the index found candidates. */
export async function videoFrames(db: Queryable, tenantId: string, uploadIds: readonly string[]): Promise<Map<string, StoredFrame[]>> {
  const out = new Map<string, StoredFrame[]>();
  if (uploadIds.length === 0) return out;
  const rows = await db.query<{ upload_id: string; frame: number; hash: string; quality: number }>(
    `SELECT upload_id, frame, hash, quality FROM upload_hashes WHERE tenant_id = $1 AND kind = 'vpdq' AND upload_id = ANY($2::uuid[]) ORDER BY upload_id, frame`,
    [tenantId, uploadIds],
  );
  for (const r of rows) {
    let list = out.get(r.upload_id);
    if (!list) out.set(r.upload_id, (list = []));
    list.push({ index: r.frame, hash: r.hash, quality: r.quality });
  }
  return out;
}

export interface BankHitRow {
  entry_id: number;
  bank_id: string;
  bank_name: string;
  bank_kind: 'internet' | 'stock' | 'fraud' | 'allow';
  import_key: string;
  frame: number;
  source_url: string | null;
  source: string | null;
  sha256: string | null;
}

/** What every bank match reports about the entry it found, whichever matcher found it. */
export function bankEntryRef(row: BankHitRow): Omit<BankMatch, 'distance' | 'variant'> {
  return {
    bankId: row.bank_id,
    bankName: row.bank_name,
    bankKind: row.bank_kind,
    entryId: Number(row.entry_id),
    key: row.import_key,
    sourceUrl: row.source_url,
    source: row.source,
  };
}

export async function bankEntriesForHits(db: Queryable, tenantId: string, entryIds: readonly number[]): Promise<BankHitRow[]> {
  if (entryIds.length === 0) return [];
  return db.query<BankHitRow>(
    `SELECT e.id AS entry_id, e.bank_id, b.name AS bank_name, b.kind AS bank_kind, e.import_key, e.frame, e.source_url, e.source, e.sha256
       FROM bank_entries e JOIN banks b ON b.id = e.bank_id
      WHERE e.id = ANY($2::bigint[]) AND e.tenant_id = $1 AND b.enabled`,
    [tenantId, entryIds],
  );
}
