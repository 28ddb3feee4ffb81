/**
 * All image fingerprints of one upload from a single decoded raster. The view caches rasters by
 * request and this module caches the luma plane and the PDQ transform per view, so the pipeline's
 * stored fingerprints and the duplicate detectors' dihedral queries cost one decode, one luma pass
 * and one PDQ filter however many callers ask.
 */
import type { MediaView } from '../media/types.ts';
import { lumaFromRaster, PDQ_DIHEDRAL_NAMES, pdqDihedralFromLuma, type PdqDihedralName, type PdqHash } from './pdq.ts';
import { dhashFromLuma9x8, phashFromLuma32, resampleArea } from './phash.ts';

/**
 * Longest side of the raster PDQ is computed from. Meta's reference hasher (pdq/cpp/io/pdqio.cpp,
 * `DOWNSAMPLE_DIMS = 512`) shrinks any larger image to 512 before its Jarosz filter, which is
 * "prohibitively expensive for larger images"; docs/pdq-conformance.md measures our distance to
 * the reference vectors at full size, 1024 and 512.
 */
export const PDQ_RASTER_MAX_SIDE = 512;

export interface Fingerprints {
  pdq: PdqHash;
  /** 16 hex chars. */
  phash: string;
  /** 16 hex chars. */
  dhash: string;
}

export interface PdqVariant extends PdqHash {
  variant: PdqDihedralName;
}

interface ViewHashes {
  phash: string;
  dhash: string;
  /** The 8 dihedral PDQ hashes, `original` first. */
  pdq: PdqVariant[];
}

const cache = new WeakMap<MediaView, Promise<ViewHashes>>();

function hashesOf(view: MediaView): Promise<ViewHashes> {
  let hashes = cache.get(view);
  if (!hashes) {
    hashes = (async () => {
      const r = await view.raster({ maxSide: PDQ_RASTER_MAX_SIDE, channels: 3 });
      const luma = lumaFromRaster(r);
      const phash = phashFromLuma32(resampleArea(luma, r.width, r.height, 32, 32));
      const dhash = dhashFromLuma9x8(resampleArea(luma, r.width, r.height, 9, 8));
      // PDQ last: it blurs the plane in place once the thumbnails are taken.
      const pdq = pdqDihedralFromLuma(luma, r.height, r.width, true).map((h, i) => ({ ...h, variant: PDQ_DIHEDRAL_NAMES[i]! }));
      return { phash, dhash, pdq };
    })();
    cache.set(view, hashes);
  }
  return hashes;
}

export async function fingerprintView(view: MediaView): Promise<Fingerprints> {
  const { phash, dhash, pdq } = await hashesOf(view);
  const { hash, quality } = pdq[0]!;
  return { pdq: { hash, quality }, phash, dhash };
}

/** The 8 dihedral variants of the view's PDQ (`original` first, equal to `fingerprintView(view).pdq`). */
export async function pdqVariantsOfView(view: MediaView): Promise<PdqVariant[]> {
  return (await hashesOf(view)).pdq;
}
