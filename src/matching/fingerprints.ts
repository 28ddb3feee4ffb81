/**
 * The fingerprints the store keeps: the pipeline's PDQ/pHash/dHash, plus for videos the vPDQ frame
 * hashes (time_s, hash, quality per kept frame) that src/matching/store.ts writes to upload_hashes.
 * The frames come from the same memo the video detectors use, so they are hashed once per upload.
 */
import { videoFrameHashes } from '../detectors/dup/hashes.ts';
import type { MediaView } from '../media/types.ts';
import type { Fingerprints } from '../pipeline/analyse.ts';
import { fingerprintMedia } from '../pipeline/fingerprints.ts';

export async function storeFingerprints(view: MediaView): Promise<Fingerprints> {
  const base = await fingerprintMedia(view);
  if (view.info.kind !== 'video') return base;
  const frames = await videoFrameHashes(view);
  return { ...base, vpdq: frames.map((f) => ({ index: f.index, time_s: f.timeS, hash: f.hash, quality: f.quality })) };
}
