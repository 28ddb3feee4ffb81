/**
 * Near duplicates by PDQ: the same picture after a resize, re-encode, small crop, rotation or flip; when
 * PDQ finds nothing, by verified local features (heavy crops, screenshots, overlays, any rotation).
 * Two detectors on one memoised search, because the two cases call for different actions: a
 * contributor re-submitting their own photo is a review (`dup.near`), while a file that someone else
 * uploaded earlier is taken work (`dup.cross_account`) and is rejected by default.
 */
import type { MediaView } from '../../media/types.ts';
import type { Detector, DetectorContext, PriorUpload, Signal } from '../types.ts';
import { allowListed, NEAR_RADIUS, nearUploads } from './hashes.ts';
import { localAllowListed, localNearUploads, localScore } from './local.ts';

type Relation = 'same' | 'other' | 'unknown';

function relation(upload: DetectorContext['upload'], prior: PriorUpload): Relation {
  if (upload.contributorId === undefined || prior.contributorId === null) return 'unknown';
  return prior.contributorId === upload.contributorId ? 'same' : 'other';
}

/** Closeness as a score: distance 0 is 1, the match radius is about 0.5. */
const nearScore = (distance: number): number => Math.round((1 - distance / (2 * (NEAR_RADIUS + 1))) * 100) / 100;

const describe = (variant: string): string => (variant === 'original' ? '' : ` (${variant} of it)`);

/** One earlier upload found by either matcher, with what the signal says about it. */
interface Near {
  prior: PriorUpload;
  score: number;
  /** How it matched, for the message: "(rotate90 of it), PDQ distance 12" or ", 57 local features agree". */
  how: string;
  evidence: Record<string, unknown>;
}

/**
 * Near (not byte-identical: that is dup.exact) earlier uploads, unless an allow bank clears the file:
 * PDQ matches, or when PDQ has none, the local-feature matcher's verified ones.
 */
async function nearOnly(view: MediaView, context: DetectorContext): Promise<Near[]> {
  if (await allowListed(view, context.lookups)) return [];
  const keep = (n: { sha256: string; uploadId: string }): boolean => n.sha256 !== view.sha256 && n.uploadId !== context.upload.uploadId;
  const pdq = (await nearUploads(view, context.lookups)).filter(keep);
  if (pdq.length > 0) {
    return pdq.map((n) => ({
      prior: n,
      score: nearScore(n.distance),
      how: `${describe(n.variant)}, PDQ distance ${n.distance}`,
      evidence: { matcher: 'pdq', distance: n.distance, variant: n.variant },
    }));
  }
  if (await localAllowListed(view, context.lookups)) return [];
  return (await localNearUploads(view, context.lookups)).filter(keep).map((n) => ({
    prior: n,
    score: localScore(n.local.inliers),
    how: ` (cropped, rotated or pasted into other content), ${n.local.inliers} local features agree`,
    evidence: { matcher: 'local', inliers: n.local.inliers, matches: n.local.matches, coverage: n.local.coverage, ...(n.local.mirrored ? { mirrored: true } : {}), score: localScore(n.local.inliers) },
  }));
}

export const nearDuplicateDetector: Detector = {
  name: 'dup.near',
  codes: ['dup.near'],
  kinds: ['image'],
  async detect(view, context) {
    const own = (await nearOnly(view, context)).filter((n) => relation(context.upload, n.prior) !== 'other');
    const first = own[0];
    if (!first) return [];
    const same = relation(context.upload, first.prior) === 'same';
    const signal: Signal = {
      code: 'dup.near',
      score: first.score,
      severity: 'medium',
      message: `${same ? 'the same contributor uploaded this picture before' : 'this picture was uploaded before'}${first.how}`,
      evidence: {
        matched_upload: first.prior.uploadId,
        matched_at: first.prior.receivedAt.toISOString(),
        ...first.evidence,
        same_contributor: same ? true : null,
        earlier_decision: first.prior.decision,
        earlier_uploads: own.length,
      },
    };
    return [signal];
  },
};

export const crossAccountDetector: Detector = {
  name: 'dup.cross_account',
  codes: ['dup.cross_account'],
  kinds: ['image', 'video'],
  async detect(view, context) {
    if (context.upload.contributorId === undefined) return [];
    if (await allowListed(view, context.lookups)) return [];
    const exact = (await context.lookups.uploadsBySha256(view.sha256)).filter(
      (u) => u.uploadId !== context.upload.uploadId && relation(context.upload, u) === 'other',
    );
    const near = (await nearOnly(view, context)).filter((n) => relation(context.upload, n.prior) === 'other');
    const matches: Array<Near & { match: 'exact' | 'near' }> = [
      ...exact.map((prior) => ({ prior, score: 1, how: '', evidence: { distance: 0, variant: 'original' }, match: 'exact' as const })),
      ...near.map((n) => ({ ...n, match: 'near' as const })),
    ];
    const first = matches[0];
    if (!first) return [];
    const others = new Set(matches.map((m) => m.prior.contributorId));
    const signal: Signal = {
      code: 'dup.cross_account',
      score: first.score,
      severity: 'critical',
      message:
        `${others.size === 1 ? 'another contributor' : `${others.size} other contributors`} uploaded this ` +
        `${first.match === 'exact' ? 'exact file' : `picture${first.how}`} before`,
      evidence: {
        matched_upload: first.prior.uploadId,
        matched_at: first.prior.receivedAt.toISOString(),
        match: first.match,
        ...first.evidence,
        same_contributor: false,
        earlier_decision: first.prior.decision,
        other_contributors: others.size,
      },
    };
    return [signal];
  },
};
