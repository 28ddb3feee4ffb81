/**
 * The second matcher's per-upload work, shared by dup.near, dup.cross_account and ref.match: one
 * keypoint extraction per view (also what the store keeps), and one local search per kind, run
 * only when PDQ found nothing. PDQ is exact and cheap on what it covers; local features are for
 * what it cannot see (heavy crops, screenshots, the picture pasted onto something else, rotation).
 */
import { extractKeypointsAndMirror, KEYPOINT_RASTER_SIDE, type KeypointSet } from '../../fingerprint/keypoints/extract.ts';
import type { MediaView } from '../../media/types.ts';
import type { DetectorLookups, LocalBankMatch, LocalNearUpload } from '../types.ts';
import { bankMatches, nearUploads } from './hashes.ts';

const keypointMemo = new WeakMap<MediaView, Promise<{ keypoints: KeypointSet; mirrored: KeypointSet }>>();
const nearMemo = new WeakMap<DetectorLookups, WeakMap<MediaView, Promise<LocalNearUpload[]>>>();
const bankMemo = new WeakMap<DetectorLookups, WeakMap<MediaView, Promise<LocalBankMatch[]>>>();

/** The mirrored set costs one more descriptor per keypoint (no second detection): made with the first. */
function keypointsAndMirror(view: MediaView): Promise<{ keypoints: KeypointSet; mirrored: KeypointSet }> {
  let p = keypointMemo.get(view);
  if (!p) {
    p = view.raster({ maxSide: KEYPOINT_RASTER_SIDE, channels: 1 }).then((r) => extractKeypointsAndMirror(r));
    keypointMemo.set(view, p);
  }
  return p;
}

export const localKeypoints = (view: MediaView): Promise<KeypointSet> => keypointsAndMirror(view).then((k) => k.keypoints);

/** The view's keypoints as its mirror image has them: queried when the direct ones match nothing. */
export const localMirroredKeypoints = (view: MediaView): Promise<KeypointSet> => keypointsAndMirror(view).then((k) => k.mirrored);

function perView<V>(store: WeakMap<DetectorLookups, WeakMap<MediaView, Promise<V>>>, lookups: DetectorLookups, view: MediaView, make: () => Promise<V>): Promise<V> {
  let byView = store.get(lookups);
  if (!byView) store.set(lookups, (byView = new WeakMap()));
  let p = byView.get(view);
  if (!p) byView.set(view, (p = make()));
  return p;
}

/** Earlier uploads the local matcher confirms, when PDQ found none (images only). */
export function localNearUploads(view: MediaView, lookups: DetectorLookups): Promise<LocalNearUpload[]> {
  return perView(nearMemo, lookups, view, async () => {
    if (!lookups.nearUploadsByKeypoints || view.info.kind !== 'image') return [];
    // Anything PDQ found (even the same bytes, which dup.exact reports) answers the question already.
    if ((await nearUploads(view, lookups)).length > 0) return [];
    return lookups.nearUploadsByKeypoints(await localKeypoints(view), await localMirroredKeypoints(view));
  });
}

/** Bank entries the local matcher confirms, when PDQ matched no bank entry (images only). */
export function localBankMatches(view: MediaView, lookups: DetectorLookups): Promise<LocalBankMatch[]> {
  return perView(bankMemo, lookups, view, async () => {
    if (!lookups.bankMatchesByKeypoints || view.info.kind !== 'image') return [];
    if ((await bankMatches(view, lookups)).length > 0) return [];
    return lookups.bankMatchesByKeypoints(
      () => localKeypoints(view),
      () => localMirroredKeypoints(view),
    );
  });
}

/** Score of a verified local match: the minimum inlier count is already strong evidence; more only adds to it. */
export const localScore = (inliers: number): number => Math.round(Math.min(0.99, 0.7 + inliers / 400) * 100) / 100;

/** An allow-bank entry the local matcher confirmed (PDQ's own allow match is checked by allowListed). */
export async function localAllowListed(view: MediaView, lookups: DetectorLookups): Promise<boolean> {
  return (await localBankMatches(view, lookups)).some((m) => m.bankKind === 'allow');
}
