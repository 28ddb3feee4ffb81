import type { Detector, Signal } from '../types.ts';

/** The same bytes were uploaded before in this tenant. Another contributor's file is the stronger reason. */
export const exactDuplicateDetector: Detector = {
  name: 'dup.exact',
  codes: ['dup.exact'],
  kinds: ['image', 'video'],
  async detect(view, { upload, lookups }) {
    const earlier = (await lookups.uploadsBySha256(view.sha256)).filter((u) => u.uploadId !== upload.uploadId);
    const first = earlier[0];
    if (!first) return [];
    const sameContributor = upload.contributorId !== undefined && first.contributorId === upload.contributorId;
    const others = new Set(earlier.map((u) => u.contributorId).filter((c) => c !== upload.contributorId));
    const signal: Signal = {
      code: 'dup.exact',
      score: 1,
      severity: sameContributor ? 'high' : 'critical',
      message: sameContributor
        ? `identical file uploaded before by the same contributor (${earlier.length}× earlier)`
        : `identical file uploaded before by ${others.size === 1 ? 'another contributor' : `${others.size} other contributors`}`,
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
