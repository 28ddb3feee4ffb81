import type { Queryable } from '../db/database.ts';
import { priorUploadsBySha256 } from '../db/uploads.ts';
import type { DetectorLookups } from '../detectors/types.ts';

/** The store side of what detectors may ask, scoped to one tenant and excluding the upload itself. */
export function storeLookups(db: Queryable, tenantId: string, uploadId: string): DetectorLookups {
  return {
    uploadsBySha256: (sha256) => priorUploadsBySha256(db, tenantId, sha256, uploadId),
  };
}
