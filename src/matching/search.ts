/**
 * Index hits → matches: the index answers "which rows are near", the database says what those rows
 * are (whose upload, when, which bank and source). Used by detector lookups, `tollgate match` and
 * `POST /v1/match`.
 */
import type { Queryable } from '../db/database.ts';
import type { BankMatch, NearUpload, NearVideo, PdqQuery } from '../detectors/types.ts';
import { VPDQ_DISTANCE, VPDQ_QUALITY, vpdqMatch, type VpdqFrame } from '../fingerprint/vpdq.ts';
import type { MatchIndexes } from './indexes.ts';
import { bankEntriesForHits, bankEntryRef, uploadsForHits, videoFrames } from './store.ts';

/** Upstream PDQ's match threshold (HMA's default): the distance below which two images are "the same". */
export const PDQ_MATCH_RADIUS = 31;
/** Upstream vPDQ's default share of frames that must match, in percent. */
export const VPDQ_MATCH_PERCENT = 80;

export interface SearchScope {
  db: Queryable;
  indexes: MatchIndexes;
  tenantId: string;
  /** Only uploads that arrived before this one count (the upload being processed). */
  before?: string | undefined;
  /** The indexes already hold everything committed before that upload (`MatchIndexes.catchUpPlan`). */
  caughtUp?: boolean | undefined;
}

export async function nearUploads(scope: SearchScope, queries: readonly PdqQuery[], radius = PDQ_MATCH_RADIUS): Promise<NearUpload[]> {
  const hits = await scope.indexes.searchUploads(
    scope.tenantId,
    'pdq',
    queries.map((q) => q.hash),
    radius,
    scope.caughtUp,
  );
  if (hits.length === 0) return [];
  const rows = await uploadsForHits(scope.db, scope.tenantId, hits.slice(0, 200).map((h) => h.id), scope.before);
  const byId = new Map(rows.map((r) => [Number(r.hash_id), r]));
  const out: NearUpload[] = [];
  const seen = new Set<string>();
  for (const hit of hits) {
    const row = byId.get(hit.id);
    if (!row || seen.has(row.upload_id)) continue;
    seen.add(row.upload_id);
    out.push({
      uploadId: row.upload_id,
      contributorId: row.contributor_id,
      receivedAt: new Date(row.received_at),
      decision: row.decision,
      sha256: row.sha256,
      distance: hit.distance,
      variant: queries[hit.query]?.variant ?? 'original',
    });
  }
  // Nearest first; among equals the oldest, which is the one the later uploads copied.
  return out.sort((a, b) => a.distance - b.distance || a.receivedAt.getTime() - b.receivedAt.getTime());
}

export async function bankMatches(scope: SearchScope, queries: readonly PdqQuery[], radius = PDQ_MATCH_RADIUS): Promise<BankMatch[]> {
  const hits = await scope.indexes.searchBanks(
    scope.tenantId,
    queries.map((q) => q.hash),
    radius,
    scope.caughtUp,
  );
  if (hits.length === 0) return [];
  // Disabled banks' entries are dropped by the query, so ask for all hits up to a sane bound.
  const rows = await bankEntriesForHits(scope.db, scope.tenantId, hits.slice(0, 1000).map((h) => h.id));
  const byId = new Map(rows.map((r) => [Number(r.entry_id), r]));
  const out: BankMatch[] = [];
  // One match per bank item: a video's frames or a duplicate entry would otherwise repeat it.
  const seen = new Set<string>();
  for (const hit of hits) {
    const row = byId.get(hit.id);
    if (!row) continue;
    const itemKey = `${row.bank_id}\u0000${row.import_key}`;
    if (seen.has(itemKey)) continue;
    seen.add(itemKey);
    out.push({
      ...bankEntryRef(row),
      distance: hit.distance,
      variant: queries[hit.query]?.variant ?? 'original',
    });
  }
  return out;
}

/**
 * Videos: each good frame is looked up in the tenant's frame index to find candidate videos, then
 * each candidate is compared frame by frame as upstream vPDQ does (percent of frames matched both ways).
 */
export async function nearVideos(scope: SearchScope, frames: ReadonlyArray<{ hash: string; quality: number }>): Promise<NearVideo[]> {
  const good = frames.filter((f) => f.quality >= VPDQ_QUALITY);
  if (good.length === 0) return [];
  const hits = await scope.indexes.searchUploads(
    scope.tenantId,
    'vpdq',
    [...new Set(good.map((f) => f.hash))],
    VPDQ_DISTANCE,
    scope.caughtUp,
  );
  if (hits.length === 0) return [];
  const rows = await uploadsForHits(scope.db, scope.tenantId, hits.slice(0, 2000).map((h) => h.id), scope.before);
  const candidates = new Map(rows.map((r) => [r.upload_id, r]));
  const targets = await videoFrames(scope.db, scope.tenantId, [...candidates.keys()].slice(0, 50));
  const query: VpdqFrame[] = frames.map((f, index) => ({ index, timeS: 0, hash: f.hash, quality: f.quality }));
  const out: NearVideo[] = [];
  for (const [uploadId, targetFrames] of targets) {
    const row = candidates.get(uploadId)!;
    const m = vpdqMatch(
      query,
      targetFrames.map((f) => ({ index: f.index, timeS: f.time_s ?? 0, hash: f.hash, quality: f.quality })),
    );
    out.push({
      uploadId,
      contributorId: row.contributor_id,
      receivedAt: new Date(row.received_at),
      decision: row.decision,
      queryMatchPercent: round1(m.queryMatchPercent),
      targetMatchPercent: round1(m.targetMatchPercent),
    });
  }
  return out.sort((a, b) => Math.max(b.queryMatchPercent, b.targetMatchPercent) - Math.max(a.queryMatchPercent, a.targetMatchPercent));
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
