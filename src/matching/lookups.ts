import type { Queryable } from '../db/database.ts';
import type { DetectorLookups } from '../detectors/types.ts';
import type { MatchIndexes } from './indexes.ts';
import { bankMatches, nearUploads, nearVideos } from './search.ts';

/** The near-duplicate and bank lookups for one upload: its tenant only, and only uploads before it. */
export function matchLookups(
  db: Queryable,
  indexes: MatchIndexes,
  tenantId: string,
  uploadId: string | undefined,
): Pick<DetectorLookups, 'nearUploadsByPdq' | 'bankMatchesByPdq' | 'nearVideosByFrames'> {
  const scope = { db, indexes, tenantId, before: uploadId };
  return {
    nearUploadsByPdq: (queries, radius) => nearUploads(scope, queries, radius),
    bankMatchesByPdq: (queries, radius) => bankMatches(scope, queries, radius),
    nearVideosByFrames: (frames) => nearVideos(scope, frames),
  };
}
