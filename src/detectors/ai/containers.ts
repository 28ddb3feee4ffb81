/**
 * Finds the metadata blocks generators write outside PNG text chunks: the EXIF and XMP chunks of a
 * WebP (exifr cannot open WebP) and the XMP packet of any file (JPEG APP1, PNG iTXt, WebP, HEIF).
 */

export interface WebpMetadata {
  /** TIFF bytes (the optional "Exif\0\0" prefix removed). */
  exif: Buffer | null;
  xmp: string | null;
}

export function isWebp(bytes: Buffer): boolean {
  return bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP';
}

/** Walks the RIFF chunk list; stops quietly at a truncated chunk. */
export function readWebpMetadata(bytes: Buffer): WebpMetadata {
  const result: WebpMetadata = { exif: null, xmp: null };
  if (!isWebp(bytes)) return result;
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const type = bytes.toString('latin1', offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    const start = offset + 8;
    const end = Math.min(bytes.length, start + size);
    if (type === 'EXIF') {
      let exif = bytes.subarray(start, end);
      if (exif.toString('latin1', 0, 6) === 'Exif\0\0') exif = exif.subarray(6);
      result.exif = Buffer.from(exif);
    } else if (type === 'XMP ') {
      result.xmp = bytes.toString('utf8', start, end);
    }
    // RIFF chunks are padded to an even size.
    offset = start + size + (size & 1);
  }
  return result;
}

const XMP_OPEN = Buffer.from('<x:xmpmeta');
const XMP_CLOSE = Buffer.from('</x:xmpmeta>');
/** XMP packets past this size are not worth scanning with regexes on the hot path. */
const MAX_XMP = 2 * 1024 * 1024;

/**
 * The first XMP packet in the file, found by its envelope. Works for every container because XMP is
 * always stored as plain UTF-8 (PNG iTXt XMP is uncompressed by convention).
 */
export function findXmpPacket(bytes: Buffer): string | null {
  const open = bytes.indexOf(XMP_OPEN);
  if (open < 0) return null;
  const close = bytes.indexOf(XMP_CLOSE, open);
  if (close < 0 || close - open > MAX_XMP) return null;
  return bytes.toString('utf8', open, close + XMP_CLOSE.length);
}
