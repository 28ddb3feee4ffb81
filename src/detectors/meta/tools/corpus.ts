/**
 * Which files of ../shared/data are honest camera/phone originals, decided from the corpora READMEs.
 * Shared by the quantization-signature builder and eval/metadata.ts so both use the same ground truth.
 *
 * Not originals: exif-camera-samples `jpg/*.jpg` at the top level were all scaled down with GIMP 2.4.5
 * (its README), `jpg/tests/` files that name an editor, `xmp/`, `orientation/` and `invalid/` (edited or
 * synthetic), the immich `albums/` (Photoshop/Lightroom exports) and `metadata/` fixtures (written by tools
 * to test date priority), and pdq `dih/` (Photoshop transforms) and `labelme-subset/` (re-encoded).
 */
export const DATA_ROOT = new URL('../../../../../shared/data/', import.meta.url).pathname;

export type Category = 'original' | 'derived';

export interface CorpusFile {
  path: string;
  category: Category;
}

const ORIGINAL_PATTERNS: readonly RegExp[] = [
  /^exif-camera-samples\/images\/jpg\/exif-org\//,
  /^exif-camera-samples\/images\/jpg\/gps\//,
  /^exif-camera-samples\/images\/jpg\/hdr\//,
  /^exif-camera-samples\/images\/jpg\/mobile\//,
  /^exif-camera-samples\/images\/heic\/(IMG_5195|mobile\/)/,
  // 11-tests (cropped: EXIF says 2272×1704, pixels 1136×775) and 35-empty (cropped, and its EXIF thumbnail
  // shows another shot) were edited although no Software tag says so; they count as derived.
  /^exif-camera-samples\/images\/jpg\/tests\/(42_IndexError|87_OSError|22-canon_tags|67-0_length_string|36-memory_error)\./,
  /^exif-camera-samples\/images\/jpg\/corrupted\.jpg$/,
  /^immich-test-assets\/formats\/(heic|motionphoto)\//,
  /^immich-test-assets\/metadata\/gps-position\/empty_gps\.jpg$/,
  /^pdq-reference\/images\/reg-test-input\/exif-rotn\//,
  /^pdq-reference\/images\/reg-test-input\/dih\/bridge-1-original\.jpg$/,
];

const MEDIA = /\.(jpe?g|heic|heif|png|webp|avif|jxl|tiff?)$/i;

export function categorize(relPath: string): Category {
  return ORIGINAL_PATTERNS.some((re) => re.test(relPath)) ? 'original' : 'derived';
}

export const CORPUS_DIRS = ['exif-camera-samples/images', 'immich-test-assets', 'pdq-reference/images/reg-test-input'] as const;

export function isMediaPath(p: string): boolean {
  return MEDIA.test(p);
}
