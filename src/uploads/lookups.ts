import type { Queryable } from '../db/database.ts';
import { enrolledFacesOf } from '../db/faces.ts';
import { priorUploadsByMetadataFingerprint, priorUploadsBySha256 } from '../db/uploads.ts';
import type { DetectorLookups, PriorUpload } from '../detectors/types.ts';
import type { MatchIndexes } from '../matching/indexes.ts';
import type { LocalMatching } from '../matching/local/search.ts';
import { matchLookups } from '../matching/lookups.ts';

/**
 * The store side of what detectors may ask, scoped to one tenant and excluding the upload itself.
 * `sameBytes` is the answer for the upload's own SHA-256 when the claim already read it;
 * `indexesCaughtUp`, that the claim's batch also brought the PDQ indexes up to it.
 */
export function storeLookups(
  db: Queryable,
  tenantId: string,
  uploadId: string,
  indexes?: MatchIndexes,
  local?: LocalMatching,
  sameBytes?: { sha256: string; uploads: PriorUpload[] },
  indexesCaughtUp = false,
): DetectorLookups {
  return {
    uploadsBySha256: async (sha256) => (sha256 === sameBytes?.sha256 ? sameBytes.uploads : priorUploadsBySha256(db, uploadId, sha256)),
    uploadsByMetadataFingerprint: (fingerprint) => priorUploadsByMetadataFingerprint(db, tenantId, fingerprint, uploadId),
    enrolledFaces: (contributorId) => enrolledFacesOf(db, tenantId, contributorId),
    ...(indexes ? matchLookups(db, indexes, tenantId, uploadId, local, indexesCaughtUp) : {}),
  };
}
