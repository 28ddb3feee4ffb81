/**
 * Per-upload hashing and store lookups shared by the duplicate and bank detectors. They run
 * concurrently on the same view; memoising the promises (keyed by view and lookups, held weakly)
 * means one PDQ transform, one index search per kind and one bank search per upload however many
 * detectors ask, and the pipeline's own fingerprints reuse the same frames.
 */
import { pdqVariantsOfView } from '../../fingerprint/view.ts';
import { vpdqFromView, type VpdqFrame } from '../../fingerprint/vpdq.ts';
import type { MediaView } from '../../media/types.ts';
import type { BankMatch, DetectorLookups, NearUpload, NearVideo, PdqQuery } from '../types.ts';

export interface ImageHashes {
  pdq: { hash: string; quality: number };
  /** The 8 dihedral variants, `original` first: a rotated or mirrored re-upload matches one of them. */
  variants: PdqQuery[];
}

/** Radius for near duplicates and bank matches: upstream PDQ's match threshold. */
export const NEAR_RADIUS = 31;

function memo<K extends object, V>(store: WeakMap<K, V>, key: K, make: () => V): V {
  let value = store.get(key);
  if (value === undefined) {
    value = make();
    store.set(key, value);
  }
  return value;
}

const imageMemo = new WeakMap<MediaView, Promise<ImageHashes>>();
const frameMemo = new WeakMap<MediaView, Promise<VpdqFrame[]>>();

export function imageHashes(view: MediaView): Promise<ImageHashes> {
  return memo(imageMemo, view, async () => {
    // The same transform as the stored fingerprints, so variants[0] is exactly the upload's PDQ.
    const all = await pdqVariantsOfView(view);
    return { pdq: { hash: all[0]!.hash, quality: all[0]!.quality }, variants: all.map(({ hash, variant }) => ({ hash, variant })) };
  });
}

export function videoFrameHashes(view: MediaView): Promise<VpdqFrame[]> {
  return memo(frameMemo, view, () => vpdqFromView(view));
}

type PerView<V> = WeakMap<DetectorLookups, WeakMap<MediaView, Promise<V>>>;
const nearMemo: PerView<NearUpload[]> = new WeakMap();
const bankMemo: PerView<BankMatch[]> = new WeakMap();
const videoMemo: PerView<NearVideo[]> = new WeakMap();

function perView<V>(store: PerView<V>, lookups: DetectorLookups, view: MediaView, make: () => Promise<V>): Promise<V> {
  return memo(memo(store, lookups, () => new WeakMap<MediaView, Promise<V>>()), view, make);
}

/** Low-quality hashes (flat images) match everything flat; upstream excludes them from matching. */
const usable = (h: ImageHashes): boolean => h.pdq.quality >= 50;

export function nearUploads(view: MediaView, lookups: DetectorLookups): Promise<NearUpload[]> {
  return perView(nearMemo, lookups, view, async () => {
    if (!lookups.nearUploadsByPdq || view.info.kind !== 'image') return [];
    const h = await imageHashes(view);
    return usable(h) ? lookups.nearUploadsByPdq(h.variants, NEAR_RADIUS) : [];
  });
}

/** Bank matches for an image (dihedral variants) or a video (its frames). */
export function bankMatches(view: MediaView, lookups: DetectorLookups): Promise<BankMatch[]> {
  return perView(bankMemo, lookups, view, async () => {
    if (!lookups.bankMatchesByPdq) return [];
    if (view.info.kind === 'video') {
      const frames = (await videoFrameHashes(view)).filter((f) => f.quality >= 50);
      return frames.length === 0 ? [] : lookups.bankMatchesByPdq(frames.map((f) => ({ hash: f.hash, variant: `frame@${f.timeS}s` })), NEAR_RADIUS);
    }
    const h = await imageHashes(view);
    return usable(h) ? lookups.bankMatchesByPdq(h.variants, NEAR_RADIUS) : [];
  });
}

export function nearVideos(view: MediaView, lookups: DetectorLookups): Promise<NearVideo[]> {
  return perView(videoMemo, lookups, view, async () => {
    if (!lookups.nearVideosByFrames || view.info.kind !== 'video') return [];
    return lookups.nearVideosByFrames(await videoFrameHashes(view));
  });
}

/** A match in an `allow` bank (the app's own splash screen, a sample image) clears the upload of dup/ref signals. */
export async function allowListed(view: MediaView, lookups: DetectorLookups): Promise<BankMatch | undefined> {
  return (await bankMatches(view, lookups)).find((m) => m.bankKind === 'allow');
}
