/**
 * All image fingerprints of one upload from a single decoded raster: the view caches rasters by
 * request, so asking once for an RGB raster and deriving PDQ, pHash and dHash from its luma
 * means one decode and one luma pass however many detectors want hashes.
 */
import type { MediaView } from '../media/types.ts';
import { lumaFromRaster, pdqFromLuma, type PdqHash } from './pdq.ts';
import { dhashFromLuma9x8, phashFromLuma32, resampleArea } from './phash.ts';

/**
 * Longest side of the raster PDQ is computed from. Upstream hashes full resolution; PDQ's own
 * tent filter shrinks any input to 64×64, so a pre-shrunk raster changes only a few bits
 * (docs/pdq-conformance.md measures full, 1024 and 512) while decoding a 12 MP JPEG with
 * shrink-on-load is several times faster.
 */
export const PDQ_RASTER_MAX_SIDE: number | undefined = 1024;

export interface Fingerprints {
  pdq: PdqHash;
  /** 16 hex chars. */
  phash: string;
  /** 16 hex chars. */
  dhash: string;
}

export async function fingerprintView(view: MediaView): Promise<Fingerprints> {
  const r = await view.raster({ maxSide: PDQ_RASTER_MAX_SIDE, channels: 3 });
  const luma = lumaFromRaster(r);
  const phash = phashFromLuma32(resampleArea(luma, r.width, r.height, 32, 32));
  const dhash = dhashFromLuma9x8(resampleArea(luma, r.width, r.height, 9, 8));
  // PDQ last: it may blur the plane in place once the thumbnails are taken.
  return { pdq: pdqFromLuma(luma, r.height, r.width, true), phash, dhash };
}
