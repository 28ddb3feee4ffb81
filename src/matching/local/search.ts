/**
 * Verified local hits → what detectors report: the index says which stored images share a
 * geometrically consistent set of local features with the query, the database says whose upload
 * or which bank entry each one is.
 */
import type { Queryable } from '../../db/database.ts';
import type { LocalBankMatch, LocalNearUpload, LogoMatch } from '../../detectors/types.ts';
import type { KeypointSet } from '../../fingerprint/keypoints/extract.ts';
import type { LocalIndexes } from './indexes.ts';
import type { Verification } from './verify.ts';
import { bankEntryRef } from '../store.ts';
import { bankEntriesForKeypointHits, uploadsForKeypointHits } from './store.ts';

/** The local matcher as configured: where its index lives and how many inliers make a match. */
export interface LocalMatching {
  indexes: LocalIndexes;
  minInliers: number;
  /** Also uploads against earlier uploads, which means storing every image upload's keypoints (mode `on`). */
  uploads: boolean;
}

export interface LocalScope {
  db: Queryable;
  local: LocalMatching;
  tenantId: string;
  before?: string | undefined;
}

const evidence = (h: Verification & { mirrored?: true }): LocalNearUpload['local'] => ({
  inliers: h.inliers,
  matches: h.matches,
  coverage: h.coverage,
  ...(h.mirrored ? { mirrored: true } : {}),
});

/** With `mirrored` (the upload's keypoints as its mirror image has them), mirror-image copies are found too. */
export async function localNearUploads(scope: LocalScope, keypoints: KeypointSet, mirrored?: KeypointSet): Promise<LocalNearUpload[]> {
  const hits = await scope.local.indexes.searchUploads(scope.tenantId, keypoints, scope.local.minInliers, mirrored);
  if (hits.length === 0) return [];
  const rows = await uploadsForKeypointHits(scope.db, scope.tenantId, hits.map((h) => h.id), scope.before);
  const byId = new Map(rows.map((r) => [Number(r.hash_id), r]));
  const out: LocalNearUpload[] = [];
  for (const hit of hits) {
    const row = byId.get(hit.id);
    if (!row) continue;
    out.push({
      uploadId: row.upload_id,
      contributorId: row.contributor_id,
      receivedAt: new Date(row.received_at),
      decision: row.decision,
      sha256: row.sha256,
      local: evidence(hit),
    });
  }
  return out;
}

export async function localBankMatches(scope: LocalScope, extractKeypoints: () => Promise<KeypointSet>, extractMirrored?: () => Promise<KeypointSet>): Promise<LocalBankMatch[]> {
  if (!(await scope.local.indexes.hasBankImages(scope.tenantId))) return [];
  const hits = await scope.local.indexes.searchBanks(scope.tenantId, await extractKeypoints(), scope.local.minInliers, await extractMirrored?.());
  if (hits.length === 0) return [];
  const rows = await bankEntriesForKeypointHits(scope.db, scope.tenantId, hits.map((h) => h.id));
  const byId = new Map(rows.map((r) => [Number(r.hash_id), r]));
  const out: LocalBankMatch[] = [];
  for (const hit of hits) {
    const row = byId.get(hit.id);
    if (!row) continue;
    out.push({
      ...bankEntryRef(row),
      local: evidence(hit),
    });
  }
  return out;
}

/**
 * Verified inliers that make a logo match. In `npm run eval -- logo` no clean photo reached more than 8
 * against any of the six logos (74 photos), 10 in a library of 20.
 */
export const LOGO_MIN_INLIERS = 12;

export async function localLogoMatches(scope: LocalScope, extractKeypoints: () => Promise<KeypointSet>): Promise<LogoMatch[]> {
  if (!(await scope.local.indexes.hasLogos(scope.tenantId))) return [];
  const query = await extractKeypoints();
  const hits = await scope.local.indexes.searchLogos(scope.tenantId, query, LOGO_MIN_INLIERS);
  if (hits.length === 0) return [];
  const rows = await bankEntriesForKeypointHits(scope.db, scope.tenantId, hits.map((h) => h.id));
  const byId = new Map(rows.map((r) => [Number(r.hash_id), r]));
  return hits.flatMap((hit) => {
    const row = byId.get(hit.id);
    return row ? [{ ...bankEntryRef(row), local: evidence(hit), box: hit.box, raster: { width: query.width, height: query.height } }] : [];
  });
}
