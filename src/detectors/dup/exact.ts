import type { Detector, Signal } from '../types.ts';
import { allowListed } from './hashes.ts';

/** The same bytes were uploaded before in this tenant. Another contributor's file is the stronger reason. */
export const exactDuplicateDetector: Detector = {
  name: 'dup.exact',
  codes: ['dup.exact'],
  kinds: ['image', 'video'],
  async detect(view, { upload, lookups }) {
    const earlier = (await lookups.uploadsBySha256(view.sha256)).filter((u) => u.uploadId !== upload.uploadId);
    const first = earlier[0];
    if (!first) return [];
    // The same file everyone may send (an allow-bank entry: the app's splash screen) is no duplicate.
    if (await allowListed(view, lookups)) return [];
    // Unknown when the app did not say who uploaded: then it is only "seen before".
    const known = upload.contributorId !== undefined && first.contributorId !== null;
    const sameContributor = known ? first.contributorId === upload.contributorId : null;
    const others = new Set(earlier.map((u) => u.contributorId).filter((c) => c !== null && c !== upload.contributorId));
    const signal: Signal = {
      code: 'dup.exact',
      score: 1,
      severity: sameContributor === false ? 'critical' : 'high',
      message:
        sameContributor === null
          ? `identical file seen before (${earlier.length}× earlier)`
          : sameContributor
            ? `identical file uploaded before by the same contributor (${earlier.length}× earlier)`
            : `identical file uploaded before by ${others.size <= 1 ? 'another contributor' : `${others.size} other contributors`}`,
      evidence: {
        matched_upload: first.uploadId,
        matched_at: first.receivedAt.toISOString(),
        same_contributor: sameContributor,
        earlier_decision: first.decision,
        earlier_uploads: earlier.length,
      },
    };
    return [signal];
  },
};
