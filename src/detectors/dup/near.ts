/**
 * Near duplicates by PDQ: the same picture after a resize, re-encode, small crop, rotation or flip.
 * Two detectors on one memoised search, because the two cases call for different actions: a
 * contributor re-submitting their own photo is a review (`dup.near`), while a file that someone else
 * uploaded earlier is taken work (`dup.cross_account`) and is rejected by default.
 */
import type { MediaView } from '../../media/types.ts';
import type { Detector, DetectorContext, NearUpload, PriorUpload, Signal } from '../types.ts';
import { allowListed, NEAR_RADIUS, nearUploads } from './hashes.ts';

type Relation = 'same' | 'other' | 'unknown';

function relation(upload: DetectorContext['upload'], prior: PriorUpload): Relation {
  if (upload.contributorId === undefined || prior.contributorId === null) return 'unknown';
  return prior.contributorId === upload.contributorId ? 'same' : 'other';
}

/** Closeness as a score: distance 0 is 1, the match radius is about 0.5. */
const nearScore = (distance: number): number => Math.round((1 - distance / (2 * (NEAR_RADIUS + 1))) * 100) / 100;

const describe = (variant: string): string => (variant === 'original' ? '' : ` (${variant} of it)`);

/** Near (not byte-identical: that is dup.exact) earlier uploads, unless an allow bank clears the file. */
async function nearOnly(view: MediaView, context: DetectorContext): Promise<NearUpload[]> {
  if (await allowListed(view, context.lookups)) return [];
  const near = await nearUploads(view, context.lookups);
  return near.filter((n) => n.sha256 !== view.sha256 && n.uploadId !== context.upload.uploadId);
}

export const nearDuplicateDetector: Detector = {
  name: 'dup.near',
  codes: ['dup.near'],
  kinds: ['image'],
  async detect(view, context) {
    const own = (await nearOnly(view, context)).filter((n) => relation(context.upload, n) !== 'other');
    const first = own[0];
    if (!first) return [];
    const same = relation(context.upload, first) === 'same';
    const signal: Signal = {
      code: 'dup.near',
      score: nearScore(first.distance),
      severity: 'medium',
      message: `${same ? 'the same contributor uploaded this picture before' : 'this picture was uploaded before'}${describe(first.variant)}, PDQ distance ${first.distance}`,
      evidence: {
        matched_upload: first.uploadId,
        matched_at: first.receivedAt.toISOString(),
        distance: first.distance,
        variant: first.variant,
        same_contributor: same ? true : null,
        earlier_decision: first.decision,
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
    const near = (await nearOnly(view, context)).filter((n) => relation(context.upload, n) === 'other');
    const matches: Array<{ prior: PriorUpload; distance: number; variant: string; match: 'exact' | 'near' }> = [
      ...exact.map((prior) => ({ prior, distance: 0, variant: 'original', match: 'exact' as const })),
      ...near.map((prior) => ({ prior, distance: prior.distance, variant: prior.variant, match: 'near' as const })),
    ];
    const first = matches[0];
    if (!first) return [];
    const others = new Set(matches.map((m) => m.prior.contributorId));
    const signal: Signal = {
      code: 'dup.cross_account',
      score: first.match === 'exact' ? 1 : nearScore(first.distance),
      severity: 'critical',
      message:
        `${others.size === 1 ? 'another contributor' : `${others.size} other contributors`} uploaded this ` +
        `${first.match === 'exact' ? 'exact file' : `picture${describe(first.variant)}, PDQ distance ${first.distance}`} before`,
      evidence: {
        matched_upload: first.prior.uploadId,
        matched_at: first.prior.receivedAt.toISOString(),
        match: first.match,
        distance: first.distance,
        variant: first.variant,
        same_contributor: false,
        earlier_decision: first.prior.decision,
        other_contributors: others.size,
      },
    };
    return [signal];
  },
};
