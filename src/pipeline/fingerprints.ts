import type { MediaView } from '../media/types.ts';
import type { Fingerprints } from './analyse.ts';

/** The fingerprints stored with every upload. The sha256 is the view's; perceptual hashes come from fingerprint/. */
export async function fingerprintMedia(view: MediaView): Promise<Fingerprints> {
  return { sha256: view.sha256 };
}
