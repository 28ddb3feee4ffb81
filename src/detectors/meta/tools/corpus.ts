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

/** Why a derived file is not an original, for reports that list them instead of dropping them. */
const DERIVED_REASONS: ReadonlyArray<[RegExp, string]> = [
  [/^exif-camera-samples\/images\/jpg\/[^/]+$/, 'scaled down with GIMP 2.4.5 (corpus README)'],
  [/^exif-camera-samples\/images\/jpg\/tests\/(11-tests|35-empty)\./, 'cropped after capture (EXIF size or thumbnail disagree with the pixels)'],
  [/^exif-camera-samples\/images\/jpg\/tests\//, 'saved by an editor or uploader named in its Software tag'],
  [/^exif-camera-samples\/images\/jpg\/invalid\//, 'deliberately broken test image, no camera EXIF (corpus README: invalid/)'],
  [/^exif-camera-samples\/images\/jpg\/xmp\//, 'XMP / no-EXIF test sample saved by Photoshop'],
  [/^exif-camera-samples\/images\/jpg\/orientation\//, 'orientation test set written by a tool'],
  [/^exif-camera-samples\/images\/tiff\//, 'TIFF copy from Wikimedia Commons with no camera EXIF'],
  [/^exif-camera-samples\/images\/heic\/samplefilehub/, 'generic sample HEIF (corpus README), no camera EXIF'],
];

const MEDIA = /\.(jpe?g|heic|heif|png|webp|avif|jxl|tiff?)$/i;

export function categorize(relPath: string): Category {
  return ORIGINAL_PATTERNS.some((re) => re.test(relPath)) ? 'original' : 'derived';
}

export function derivedReason(relPath: string): string {
  return DERIVED_REASONS.find(([re]) => re.test(relPath))?.[1] ?? 'edited or re-encoded (corpus.ts)';
}

export const CORPUS_DIRS = ['exif-camera-samples/images', 'immich-test-assets', 'pdq-reference/images/reg-test-input'] as const;

export function isMediaPath(p: string): boolean {
  return MEDIA.test(p);
}
