/**
 * SQL side of matching: writing an upload's hashes at commit and turning index hits (row ids)
 * into what detectors and the API report.
 */
import type { BankKind, BankMatch } from '../detectors/types.ts';
import type { Queryable } from '../db/database.ts';

export interface StoredFrame {
  index: number;
  time_s?: number;
  hash: string;
  quality: number;
}

export interface HashRow {
  kind: 'pdq' | 'vpdq';
  frame: number;
  time_s: number | null;
  hash: string;
  quality: number;
}

/** The rows an upload's PDQ (images) or per-frame vPDQ (videos) adds to upload_hashes at its verdict. */
export function hashRowsOf(mediaKind: string | undefined, fingerprints: Record<string, unknown> | undefined): HashRow[] {
  if (mediaKind === 'video') return framesOf(fingerprints).map((f) => ({ kind: 'vpdq', frame: f.index, time_s: f.time_s ?? null, hash: f.hash, quality: f.quality }));
  const pdq = fingerprints?.['pdq'];
  return isHash(pdq) ? [{ kind: 'pdq', frame: 0, time_s: null, hash: pdq.hash, quality: pdq.quality }] : [];
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
  bank_kind: BankKind;
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
