/**
 * Ad-hoc matching (`tollgate match`, `POST /v1/match`): a file or a bare PDQ against the tenant's
 * banks and stored uploads, without ingesting anything. Same indexes and radius as the detectors.
 */
import type { Queryable } from '../db/database.ts';
import { imageHashes, videoFrameHashes } from '../detectors/dup/hashes.ts';
import type { BankMatch, PdqQuery } from '../detectors/types.ts';
import { TollgateError } from '../errors.ts';
import { PDQ_MIN_QUALITY } from '../fingerprint/pdq.ts';
import type { MediaLimits } from '../media/limits.ts';
import { openMedia } from '../media/open.ts';
import type { MatchIndexes } from './indexes.ts';
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
    matches: Array<{ entry_id: number; key: string; source_url: string | null; source: string | null; distance: number; variant: string }>;
  }>;
  /** Stored uploads near this one (images: PDQ; videos: vPDQ frame share). */
  uploads: Array<{
    upload_id: string;
    contributor_id: string | null;
    received_at: string;
    decision: string | null;
    distance?: number;
    variant?: string;
    exact?: boolean;
    query_match_percent?: number;
    target_match_percent?: number;
  }>;
  /** Set when the hash is too flat to match reliably (quality < 50): nothing is searched. */
  note?: string;
}

interface Scope {
  db: Queryable;
  indexes: MatchIndexes;
  tenantId: string;
  radius?: number;
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
        query_match_percent: v.queryMatchPercent,
        target_match_percent: v.targetMatchPercent,
      })),
    };
  }
  const h = await imageHashes(view);
  return matchQueries(scope, h.variants, { ...base, pdq: h.pdq }, h.pdq.quality, view.sha256);
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
      distance: u.distance,
      variant: u.variant,
      exact: sha256 !== undefined && u.sha256 === sha256,
    })),
  };
}

function groupBanks(matches: readonly BankMatch[]): MatchReport['banks'] {
  const out = new Map<string, MatchReport['banks'][number]>();
  for (const m of matches) {
    let bank = out.get(m.bankId);
    if (!bank) out.set(m.bankId, (bank = { bank_id: m.bankId, bank: m.bankName, kind: m.bankKind, matches: [] }));
    if (bank.matches.length < 20) bank.matches.push({ entry_id: m.entryId, key: m.key, source_url: m.sourceUrl, source: m.source, distance: m.distance, variant: m.variant });
  }
  return [...out.values()];
}
