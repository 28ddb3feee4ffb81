/**
 * Video near duplicates by vPDQ: an earlier video of the tenant shares enough sampled frames with
 * this one (upstream's default: 80 % of either video's distinct good frames), which survives
 * re-encoding, resizing, trimming and small overlays. Own re-upload and someone else's are
 * reported with `same_contributor` so the policy can tell them apart.
 */
import type { Detector, Signal } from '../types.ts';
import { allowListed, nearVideos } from './hashes.ts';

export const VIDEO_MATCH_PERCENT = 80;

export const videoNearDuplicateDetector: Detector = {
  name: 'dup.video_near',
  codes: ['dup.video_near'],
  kinds: ['video'],
  async detect(view, { upload, lookups }) {
    if (await allowListed(view, lookups)) return [];
    const matches = (await nearVideos(view, lookups)).filter(
      (m) => m.uploadId !== upload.uploadId && Math.max(m.queryMatchPercent, m.targetMatchPercent) >= VIDEO_MATCH_PERCENT,
    );
    const first = matches[0];
    if (!first) return [];
    const known = upload.contributorId !== undefined && first.contributorId !== null;
    const same = known ? first.contributorId === upload.contributorId : null;
    const signal: Signal = {
      code: 'dup.video_near',
      score: Math.round(Math.max(first.queryMatchPercent, first.targetMatchPercent)) / 100,
      severity: same === false ? 'critical' : 'medium',
      message:
        `${same === false ? 'another contributor' : same ? 'the same contributor' : 'someone'} uploaded a video with the same frames before ` +
        `(${first.queryMatchPercent} % of this video's frames, ${first.targetMatchPercent} % of the earlier one's)`,
      evidence: {
        matched_upload: first.uploadId,
        matched_at: first.receivedAt.toISOString(),
        query_match_percent: first.queryMatchPercent,
        target_match_percent: first.targetMatchPercent,
        same_contributor: same,
        earlier_decision: first.decision,
      },
    };
    return [signal];
  },
};
