/**
 * Ad-hoc matching (`tollgate match`, `POST /v1/match`): a file or a bare PDQ against the tenant's
 * banks and stored uploads, without ingesting anything. Same indexes, radius and local-feature
 * matcher as the detectors; unlike them, an image is also searched by local features when PDQ
 * already matched, so the answer shows every entry either matcher confirms.
 */
import type { Queryable } from '../db/database.ts';
import { imageHashes, videoFrameHashes } from '../detectors/dup/hashes.ts';
import { localKeypoints, localMirroredKeypoints } from '../detectors/dup/local.ts';
import type { BankMatch, LocalBankMatch, LocalNearUpload, LocalVerification, PdqQuery } from '../detectors/types.ts';
import { TollgateError } from '../errors.ts';
import { PDQ_MIN_QUALITY } from '../fingerprint/pdq.ts';
import type { MediaLimits } from '../media/limits.ts';
import { openMedia } from '../media/open.ts';
import type { KeypointSet } from '../fingerprint/keypoints/extract.ts';
import type { MatchIndexes } from './indexes.ts';
import { localBankMatches, localNearUploads, type LocalMatching } from './local/search.ts';
import { bankMatches, nearUploads, nearVideos, PDQ_MATCH_RADIUS } from './search.ts';

export interface MatchReport {
  sha256?: string;
  media?: { type: string; mime: string };
  pdq?: { hash: string; quality: number };
  frames?: number;
  /** Per bank (enabled banks only), nearest entries first. */
  banks: Array<{
    bank_id: string;
    bank: string;
    kind: string;
    matches: Array<{ entry_id: number; key: string; source_url: string | null; source: string | null } & MatcherEvidence>;
  }>;
  /** Stored uploads near this one (images: PDQ; videos: vPDQ frame share). */
  uploads: Array<{
    upload_id: string;
    contributor_id: string | null;
    received_at: string;
    decision: string | null;
    matcher: 'pdq' | 'local' | 'vpdq';
    distance?: number;
    variant?: string;
    exact?: boolean;
    inliers?: number;
    matches?: number;
    coverage?: number;
    query_match_percent?: number;
    target_match_percent?: number;
  }>;
  /** Set when the hash is too flat to match reliably (quality < 50): nothing is searched. */
  note?: string;
}

/** PDQ's distance and which dihedral variant matched, or the local matcher's verification. */
type MatcherEvidence = ({ matcher: 'pdq'; distance: number; variant: string }) | ({ matcher: 'local' } & LocalVerification);

interface Scope {
  db: Queryable;
  indexes: MatchIndexes;
  tenantId: string;
  radius?: number;
  /** The local-feature matcher as configured (absent: PDQ only). */
  local?: LocalMatching | undefined;
}

export async function matchPdq(scope: Scope, pdq: string, quality = 100): Promise<MatchReport> {
  const hash = pdq.toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hash)) throw new TollgateError('input.invalid', 'pdq must be 64 hex characters');
  return matchQueries(scope, [{ hash, variant: 'original' }], { pdq: { hash, quality } }, quality);
}

export async function matchBytes(scope: Scope, bytes: Buffer, limits: MediaLimits): Promise<MatchReport> {
  const view = await openMedia(bytes, limits);
  const base = { sha256: view.sha256, media: { type: view.info.kind, mime: view.info.mime } };
  if (view.info.kind === 'video') {
    const frames = await videoFrameHashes(view);
    const s = { db: scope.db, indexes: scope.indexes, tenantId: scope.tenantId };
    const good = frames.filter((f) => f.quality >= PDQ_MIN_QUALITY);
    const [banks, videos] = await Promise.all([
      bankMatches(s, good.map((f) => ({ hash: f.hash, variant: `frame@${f.timeS}s` })), scope.radius ?? PDQ_MATCH_RADIUS),
      nearVideos(s, frames),
    ]);
    return {
      ...base,
      frames: frames.length,
      banks: groupBanks(banks),
      uploads: videos.map((v) => ({
        upload_id: v.uploadId,
        contributor_id: v.contributorId,
        received_at: v.receivedAt.toISOString(),
        decision: v.decision,
        matcher: 'vpdq' as const,
        query_match_percent: v.queryMatchPercent,
        target_match_percent: v.targetMatchPercent,
      })),
    };
  }
  const h = await imageHashes(view);
  const [byPdq, local] = await Promise.all([
    matchQueries(scope, h.variants, { ...base, pdq: h.pdq }, h.pdq.quality, view.sha256),
    localMatches(scope, () => localKeypoints(view), () => localMirroredKeypoints(view)),
  ]);
  return withLocal(byPdq, local);
}

/** Bank entries, and with upload matching on earlier uploads, that local features confirm; banks are only searched when they hold images. */
async function localMatches(scope: Scope, keypoints: () => Promise<KeypointSet>, mirrored: () => Promise<KeypointSet>): Promise<{ banks: LocalBankMatch[]; uploads: LocalNearUpload[] }> {
  if (!scope.local) return { banks: [], uploads: [] };
  const localScope = { db: scope.db, local: scope.local, tenantId: scope.tenantId };
  const [banks, uploads] = await Promise.all([
    localBankMatches(localScope, keypoints, mirrored),
    scope.local.uploads ? Promise.all([keypoints(), mirrored()]).then(([k, m]) => localNearUploads(localScope, k, m)) : [],
  ]);
  return { banks, uploads };
}

/** PDQ's report plus what only the local matcher found (an entry or upload both found is reported once, by PDQ). */
function withLocal(report: MatchReport, local: { banks: LocalBankMatch[]; uploads: LocalNearUpload[] }): MatchReport {
  const seenEntries = new Set(report.banks.flatMap((b) => b.matches.map((m) => m.entry_id)));
  const banks = groupBanks([], local.banks.filter((m) => !seenEntries.has(m.entryId)), report.banks);
  const seenUploads = new Set(report.uploads.map((u) => u.upload_id));
  const uploads = local.uploads
    .filter((u) => !seenUploads.has(u.uploadId))
    .map((u) => ({ upload_id: u.uploadId, contributor_id: u.contributorId, received_at: u.receivedAt.toISOString(), decision: u.decision, matcher: 'local' as const, ...u.local }));
  return { ...report, banks, uploads: [...report.uploads, ...uploads] };
}

async function matchQueries(scope: Scope, queries: PdqQuery[], base: Partial<MatchReport>, quality: number, sha256?: string): Promise<MatchReport> {
  if (quality < PDQ_MIN_QUALITY) return { ...base, banks: [], uploads: [], note: `PDQ quality ${quality} is below ${PDQ_MIN_QUALITY}: too flat to match` };
  const s = { db: scope.db, indexes: scope.indexes, tenantId: scope.tenantId };
  const radius = scope.radius ?? PDQ_MATCH_RADIUS;
  const [banks, uploads] = await Promise.all([bankMatches(s, queries, radius), nearUploads(s, queries, radius)]);
  return {
    ...base,
    banks: groupBanks(banks),
    uploads: uploads.map((u) => ({
      upload_id: u.uploadId,
      contributor_id: u.contributorId,
      received_at: u.receivedAt.toISOString(),
      decision: u.decision,
      matcher: 'pdq' as const,
      distance: u.distance,
      variant: u.variant,
      exact: sha256 !== undefined && u.sha256 === sha256,
    })),
  };
}

/** Matches per bank, at most 20 each: PDQ's nearest first, then local matches by inliers (onto `into`'s groups, if given). */
function groupBanks(byPdq: readonly BankMatch[], byLocal: readonly LocalBankMatch[] = [], into: MatchReport['banks'] = []): MatchReport['banks'] {
  const out = new Map(into.map((b) => [b.bank_id, { ...b, matches: [...b.matches] }]));
  const add = (m: Omit<BankMatch, 'distance' | 'variant'>, evidence: MatcherEvidence): void => {
    let bank = out.get(m.bankId);
    if (!bank) out.set(m.bankId, (bank = { bank_id: m.bankId, bank: m.bankName, kind: m.bankKind, matches: [] }));
    if (bank.matches.length < 20) bank.matches.push({ entry_id: m.entryId, key: m.key, source_url: m.sourceUrl, source: m.source, ...evidence });
  };
  for (const m of byPdq) add(m, { matcher: 'pdq', distance: m.distance, variant: m.variant });
  for (const m of byLocal) add(m, { matcher: 'local', ...m.local });
  return [...out.values()];
}
