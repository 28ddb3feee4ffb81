import type { Queryable } from '../db/database.ts';
import type { DetectorLookups } from '../detectors/types.ts';
import type { MatchIndexes } from './indexes.ts';
import { localBankMatches, localLogoMatches, localNearUploads, type LocalMatching } from './local/search.ts';
import { bankMatches, nearUploads, nearVideos } from './search.ts';

type MatchLookups = Pick<DetectorLookups, 'nearUploadsByPdq' | 'bankMatchesByPdq' | 'nearVideosByFrames' | 'nearUploadsByKeypoints' | 'bankMatchesByKeypoints' | 'logoMatchesByKeypoints'>;

/**
 * The near-duplicate and bank lookups for one upload: its tenant only, and only uploads before it.
 * With `local`, also the local-feature matcher's (detectors ask it only when PDQ finds nothing): banks
 * always, earlier uploads only when the matcher is configured to store and search them. `caughtUp`: the
 * PDQ indexes already hold everything committed before the upload (`MatchIndexes.catchUpPlan`).
 */
export function matchLookups(db: Queryable, indexes: MatchIndexes, tenantId: string, uploadId: string | undefined, local?: LocalMatching, caughtUp = false): MatchLookups {
  const scope = { db, indexes, tenantId, before: uploadId, caughtUp };
  const localScope = local ? { db, local, tenantId, before: uploadId } : undefined;
  return {
    nearUploadsByPdq: (queries, radius) => nearUploads(scope, queries, radius),
    bankMatchesByPdq: (queries, radius) => bankMatches(scope, queries, radius),
    nearVideosByFrames: (frames) => nearVideos(scope, frames),
    ...(localScope
      ? {
          bankMatchesByKeypoints: (extractKeypoints, extractMirrored) => localBankMatches(localScope, extractKeypoints, extractMirrored),
          logoMatchesByKeypoints: (extractKeypoints) => localLogoMatches(localScope, extractKeypoints),
        }
      : {}),
    ...(localScope?.local.uploads ? { nearUploadsByKeypoints: (keypoints, mirrored) => localNearUploads(localScope, keypoints, mirrored) } : {}),
  };
}
