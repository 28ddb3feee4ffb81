/**
 * Reference banks (reverse image search, HMA-style): named per tenant, each of a kind that tells
 * the policy what a match means. Entries are PDQ hashes with where they came from.
 */
import type { Queryable } from '../db/database.ts';
import { newId, isUuid } from '../db/ids.ts';
import type { BankKind } from '../detectors/types.ts';
import { TollgateError } from '../errors.ts';
import type { KeypointSet } from '../fingerprint/keypoints/extract.ts';
import { HASHES_CHANNEL } from '../matching/follower.ts';
import { insertBankEntryKeypoints } from '../matching/local/store.ts';

export const BANK_KINDS: readonly BankKind[] = ['internet', 'stock', 'fraud', 'allow', 'logo'];

export interface BankRow {
  id: string;
  tenant_id: string;
  name: string;
  kind: BankKind;
  enabled: boolean;
  description: string | null;
  created_at: Date;
}

export interface BankWithCounts extends BankRow {
  entries: number;
}

export function parseBankKind(kind: string): BankKind {
  if (!(BANK_KINDS as readonly string[]).includes(kind)) throw new TollgateError('input.invalid', `bank kind must be one of ${BANK_KINDS.join(', ')}, got "${kind}"`);
  return kind as BankKind;
}

export async function createBank(db: Queryable, tenantId: string, name: string, kind: BankKind, description?: string): Promise<BankRow> {
  const rows = await db.query<BankRow>(
    `INSERT INTO banks (id, tenant_id, name, kind, description) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (tenant_id, name) DO NOTHING RETURNING *`,
    [newId(), tenantId, name, kind, description ?? null],
  );
  if (!rows[0]) throw new TollgateError('input.conflict', `a bank named "${name}" already exists`);
  return rows[0];
}

export async function listBanks(db: Queryable, tenantId: string): Promise<BankWithCounts[]> {
  const rows = await db.query<BankWithCounts>(
    `SELECT b.*, (SELECT count(*) FROM bank_entries e WHERE e.bank_id = b.id) AS entries
       FROM banks b WHERE b.tenant_id = $1 ORDER BY b.name`,
    [tenantId],
  );
  return rows.map((r) => ({ ...r, entries: Number(r.entries) }));
}

/** By our id or by name, always within the tenant. */
export async function findBank(db: Queryable, tenantId: string, idOrName: string): Promise<BankRow | undefined> {
  const rows = await db.query<BankRow>(
    `SELECT * FROM banks WHERE tenant_id = $1 AND (name = $2 OR ($3::uuid IS NOT NULL AND id = $3::uuid)) ORDER BY name = $2 DESC LIMIT 1`,
    [tenantId, idOrName, isUuid(idOrName) ? idOrName : null],
  );
  return rows[0];
}

export async function setBankEnabled(db: Queryable, tenantId: string, bankId: string, enabled: boolean): Promise<void> {
  await db.query('UPDATE banks SET enabled = $3 WHERE tenant_id = $1 AND id = $2', [tenantId, bankId, enabled]);
}

export interface NewBankEntry {
  importKey: string;
  /** -1 for a still image or a bare hash; the frame index for a video's frames. */
  frame?: number;
  sourceUrl?: string | null | undefined;
  source?: string | null | undefined;
  sha256?: string | null | undefined;
  pdq: string;
  quality: number;
  /** A still image's local features, stored beside the entry for the second matcher. */
  keypoints?: KeypointSet | undefined;
}

/** Inserts entries; ones whose (key, frame) is already in the bank are left as they are. Returns how many were new. */
export async function insertBankEntries(db: Queryable, bank: BankRow, entries: readonly NewBankEntry[], importId?: string): Promise<number> {
  if (entries.length === 0) return 0;
  for (const e of entries) if (!/^[0-9a-f]{64}$/.test(e.pdq)) throw new TollgateError('input.invalid', `pdq must be 64 lowercase hex characters, got "${e.pdq.slice(0, 80)}"`);
  const rows = await db.query(
    `INSERT INTO bank_entries (bank_id, tenant_id, import_id, import_key, frame, source_url, source, sha256, pdq, quality)
     SELECT $1, $2, $3, r.import_key, r.frame, r.source_url, r.source, r.sha256, r.pdq, r.quality
       FROM jsonb_to_recordset($4::jsonb) AS r(import_key text, frame int, source_url text, source text, sha256 text, pdq text, quality int)
     ON CONFLICT (bank_id, import_key, frame) DO NOTHING RETURNING id, import_key, frame`,
    [
      bank.id,
      bank.tenant_id,
      importId ?? null,
      JSON.stringify(
        entries.map((e) => ({
          import_key: e.importKey,
          frame: e.frame ?? -1,
          source_url: e.sourceUrl ?? null,
          source: e.source ?? null,
          sha256: e.sha256 ?? null,
          pdq: e.pdq,
          quality: Math.round(e.quality),
        })),
      ),
    ],
  );
  if (rows.length > 0) await db.query('SELECT pg_notify($1, $2)', [HASHES_CHANNEL, 'banks']);
  const withKeypoints = new Map(entries.filter((e) => e.keypoints).map((e) => [`${e.importKey}\u0000${e.frame ?? -1}`, e.keypoints!]));
  if (withKeypoints.size > 0) {
    const added = (rows as Array<{ id: number; import_key: string; frame: number }>).flatMap((r) => {
      const keypoints = withKeypoints.get(`${r.import_key}\u0000${r.frame}`);
      return keypoints ? [{ entryId: Number(r.id), keypoints }] : [];
    });
    await insertBankEntryKeypoints(db, bank.tenant_id, added);
  }
  return rows.length;
}

/** Keys already in the bank: what a resumed or repeated import skips. */
export async function bankImportKeys(db: Queryable, bankId: string): Promise<Set<string>> {
  const rows = await db.query<{ import_key: string }>('SELECT DISTINCT import_key FROM bank_entries WHERE bank_id = $1', [bankId]);
  return new Set(rows.map((r) => r.import_key));
}

export async function bankHasSha256(db: Queryable, bankId: string, sha256: string): Promise<boolean> {
  return (await db.query('SELECT 1 FROM bank_entries WHERE bank_id = $1 AND sha256 = $2 LIMIT 1', [bankId, sha256])).length > 0;
}

export interface BankEntryRow {
  id: number;
  import_key: string;
  frame: number;
  source_url: string | null;
  source: string | null;
  sha256: string | null;
  pdq: string;
  quality: number;
  created_at: Date;
}

export async function listBankEntries(db: Queryable, bank: BankRow, limit: number, afterId = 0): Promise<BankEntryRow[]> {
  const rows = await db.query<BankEntryRow>(
    `SELECT id, import_key, frame, source_url, source, sha256, pdq, quality, created_at FROM bank_entries
      WHERE tenant_id = $1 AND bank_id = $2 AND id > $3 ORDER BY id LIMIT $4`,
    [bank.tenant_id, bank.id, afterId, limit],
  );
  return rows.map((r) => ({ ...r, id: Number(r.id) }));
}
