import { fingerprintView } from '../fingerprint/view.ts';
import type { MediaView } from '../media/types.ts';
import type { Fingerprints } from './analyse.ts';

/** The fingerprints stored with every upload: perceptual hashes of the image (first frame for videos). */
export async function fingerprintMedia(view: MediaView): Promise<Fingerprints> {
  const { pdq, phash, dhash } = await fingerprintView(view);
  return { pdq: { hash: pdq.hash, quality: pdq.quality }, phash, dhash };
}
