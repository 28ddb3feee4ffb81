/**
 * The fingerprints the store keeps: the pipeline's PDQ/pHash/dHash, plus for videos the vPDQ frame
 * hashes (time_s, hash, quality per kept frame) that src/matching/store.ts writes to upload_hashes.
 * The frames come from the same memo the video detectors use, so they are hashed once per upload.
 */
import { videoFrameHashes } from '../detectors/dup/hashes.ts';
import { localKeypoints } from '../detectors/dup/local.ts';
import type { KeypointSet } from '../fingerprint/keypoints/extract.ts';
import type { MediaView } from '../media/types.ts';
import type { Fingerprinter, Fingerprints } from '../pipeline/analyse.ts';
import { fingerprintMedia } from '../pipeline/fingerprints.ts';

export async function storeFingerprints(view: MediaView): Promise<Fingerprints> {
  const base = await fingerprintMedia(view);
  if (view.info.kind !== 'video') return base;
  const frames = await videoFrameHashes(view);
  return { ...base, vpdq: frames.map((f) => ({ index: f.index, time_s: f.timeS, hash: f.hash, quality: f.quality })) };
}

/** Keypoints extracted alongside an upload's fingerprints, keyed by the fingerprints object the pipeline returns. */
const keypointsByFingerprints = new WeakMap<object, KeypointSet>();

/**
 * The store's fingerprinter when the local matcher is on: also extracts the image's keypoints (the same
 * memoised extraction the detectors search with) for commitResult to store. They travel beside the
 * fingerprints rather than in them because the fingerprints are JSON in the report and the API.
 */
export function withKeypoints(fingerprint: Fingerprinter): Fingerprinter {
  return async (view) => {
    const fingerprints = await fingerprint(view);
    if (view.info.kind === 'image') {
      const keypoints = await localKeypoints(view).catch(() => undefined);
      if (keypoints) keypointsByFingerprints.set(fingerprints, keypoints);
    }
    return fingerprints;
  };
}

export function keypointsToStore(fingerprints: object | undefined): KeypointSet | undefined {
  return fingerprints ? keypointsByFingerprints.get(fingerprints) : undefined;
}
