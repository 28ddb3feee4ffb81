import { crc32, inflateSync } from 'node:zlib';
import { TollgateError } from '../errors.ts';
import { findActiveMarkup } from './sniff.ts';
import type { AppendedData } from './types.ts';

/**
 * Cheap structural checks that run before any decoder sees the bytes. They give precise error codes
 * (a decoder only says "failed") and catch what decoders ignore: data appended after the image's end.
 *
 * Polyglot policy: bytes after JPEG EOI / PNG IEND are common and harmless (camera padding, Samsung and
 * Google motion photos append an MP4), so they are reported as `info.appended`. Appended data a browser
 * or unzip would act on is rejected: HTML/script/PHP → `media.active_content`, a ZIP/RAR/7z → `media.archive`.
 * A ZIP end-of-central-directory record that ends exactly at the end of the file is rejected wherever it
 * is, because that makes the whole upload a valid ZIP as well.
 */
export interface StructureReport {
  /** Bytes after the image's end marker, when present. */
  appended?: AppendedData;
  /** JPEG APP1 "Exif" / TIFF payload for the metadata bomb guard; empty when none. */
  exifSegments: Buffer[];
  /** Total bytes of JPEG APPn / PNG ancillary chunks: metadata volume, for the bomb guard. */
  metadataBytes: number;
}

export function checkStructure(bytes: Buffer, format: string): StructureReport {
  rejectZipPolyglot(bytes);
  if (format === 'jpeg') return checkJpeg(bytes);
  if (format === 'png') return checkPng(bytes);
  if (format === 'webp') return checkWebp(bytes);
  if (format === 'gif') return checkGif(bytes);
  if (format === 'mp4' || format === 'mov') checkIsoBoxes(bytes);
  if (format === 'heic' || format === 'heif' || format === 'avif') {
    checkIsoBoxes(bytes);
    return { exifSegments: heifExif(bytes), metadataBytes: 0 };
  }
  if (format === 'webm' || format === 'mkv') checkEbmlSegment(bytes);
  if (format === 'tiff') return { exifSegments: [bytes], metadataBytes: 0 };
  return { exifSegments: [], metadataBytes: 0 };
}

function rejectZipPolyglot(b: Buffer): void {
  // EOCD is 22 bytes plus a comment of up to 65535 bytes, so it lives in the last 65557 bytes.
  const from = Math.max(0, b.length - 65557);
  let at = b.lastIndexOf('PK\x05\x06', b.length - 22, 'latin1');
  while (at >= from) {
    const commentLength = b.readUInt16LE(at + 20);
    if (at + 22 + commentLength === b.length) {
      throw new TollgateError('media.archive', 'the file is also a ZIP archive (polyglot)', { archive: 'zip', offset: at });
    }
    at = at > 0 ? b.lastIndexOf('PK\x05\x06', at - 1, 'latin1') : -1;
  }
}

function classifyTrailer(b: Buffer, offset: number): AppendedData | undefined {
  const tail = b.subarray(offset);
  // Zero padding (some encoders fill to a block size) is not worth a flag.
  if (tail.length === 0 || tail.every((x) => x === 0 || x === 0xff)) return undefined;
  // Encoders pad to a block size before a second image (MPF previews); classify what follows the padding.
  // An MP4 starts with its box size (often 00 00 00 xx), so it is recognised before padding is skipped.
  let start = 0;
  if (tail.toString('latin1', 4, 8) !== 'ftyp') {
    while (start < tail.length && start < 1 << 20 && (tail[start] === 0 || tail[start] === 0xff)) start++;
    if (tail[start] === 0xd8 && start > 0) start--;
  }
  const sig = tail.toString('latin1', start, start + 16);
  if (sig.startsWith('PK\x03\x04') || sig.startsWith('Rar!') || sig.startsWith('7z\xbc\xaf')) {
    throw new TollgateError('media.archive', 'an archive is appended after the image (polyglot)', { offset });
  }
  const text = tail.toString('latin1', 0, Math.min(tail.length, 64 * 1024)).toLowerCase();
  const markup = findActiveMarkup(text);
  if (markup) {
    throw new TollgateError('media.active_content', `active content (${markup}) is appended after the image (polyglot)`, { offset, found: markup });
  }
  let kind: AppendedData['kind'] = 'unknown';
  if (sig.slice(4, 8) === 'ftyp') kind = 'video';
  else if (sig.startsWith('\xff\xd8\xff')) kind = 'jpeg';
  return { offset, bytes: tail.length, kind };
}

/** Walks JPEG markers to SOS, then scans the entropy-coded data for the real EOI. */
function checkJpeg(b: Buffer): StructureReport {
  const exifSegments: Buffer[] = [];
  let metadataBytes = 0;
  let o = 2;
  for (;;) {
    // Fill bytes (0xFF padding) may precede any marker.
    while (o < b.length && b[o] === 0xff && b[o + 1] === 0xff) o++;
    if (o + 4 > b.length) throw new TollgateError('media.truncated', 'JPEG ends inside its headers');
    if (b[o] !== 0xff) {
      // A segment length off by a few bytes is common (libjpeg warns "extraneous bytes before marker" and
      // resynchronises on the next 0xFF); do the same, but garbage with no marker at all is corrupt.
      const next = b.indexOf(0xff, o);
      if (next < 0 || next - o > 1024) throw new TollgateError('media.corrupt', `JPEG marker expected at byte ${o}`);
      o = next;
      continue;
    }
    const marker = b[o + 1] ?? 0;
    if (marker === 0xd9) throw new TollgateError('media.corrupt', 'JPEG ends before any image data');
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      o += 2;
      continue;
    }
    const length = b.readUInt16BE(o + 2);
    if (length < 2) throw new TollgateError('media.corrupt', `JPEG segment with length ${length}`);
    if (o + 2 + length > b.length) throw new TollgateError('media.truncated', 'JPEG ends inside a header segment');
    if (marker >= 0xe0 && marker <= 0xef) {
      metadataBytes += length;
      if (marker === 0xe1 && b.toString('latin1', o + 4, o + 10) === 'Exif\0\0') exifSegments.push(b.subarray(o + 10, o + 2 + length));
    }
    o += 2 + length;
    if (marker === 0xda) break;
  }
  // Progressive JPEGs have several scans; keep scanning past RSTn and further SOS/DHT segments to EOI.
  for (;;) {
    const at = b.indexOf(0xff, o);
    if (at < 0 || at + 1 >= b.length) throw new TollgateError('media.truncated', 'JPEG has no end-of-image marker');
    const next = b[at + 1] ?? 0;
    if (next === 0xd9) return { exifSegments, metadataBytes, ...appended(classifyTrailer(b, at + 2)) };
    o = at + 2;
    // 0xFF00 is a stuffed byte, 0xFFD0-D7 restart markers, 0xFFFF fill; other markers have a length.
    if (next !== 0x00 && next !== 0xff && !(next >= 0xd0 && next <= 0xd7) && at + 4 <= b.length) {
      o = at + 2 + b.readUInt16BE(at + 2);
    } else if (next === 0xff) o = at + 1;
  }
}

const appended = (a: AppendedData | undefined): { appended?: AppendedData } => (a ? { appended: a } : {});

const CRITICAL_PNG = new Set(['IHDR', 'PLTE', 'IDAT', 'IEND']);

/** Walks PNG chunks: lengths, critical-chunk CRCs, IEND, and what follows it. */
function checkPng(b: Buffer): StructureReport {
  let o = 8;
  let metadataBytes = 0;
  let inflatedBytes = 0;
  let first = true;
  for (;;) {
    if (o + 8 > b.length) throw new TollgateError('media.truncated', 'PNG ends before IEND');
    const length = b.readUInt32BE(o);
    const type = b.toString('latin1', o + 4, o + 8);
    if (!/^[A-Za-z]{4}$/.test(type)) throw new TollgateError('media.corrupt', `invalid PNG chunk type at byte ${o}`);
    if (first && type !== 'IHDR') throw new TollgateError('media.corrupt', 'PNG does not start with IHDR');
    first = false;
    if (length > 0x7fffffff) throw new TollgateError('media.corrupt', `PNG chunk ${type} has length ${length}`);
    if (o + 12 + length > b.length) throw new TollgateError('media.truncated', `PNG ends inside chunk ${type}`);
    if (CRITICAL_PNG.has(type)) {
      const stored = b.readUInt32BE(o + 8 + length);
      if (crc32(b.subarray(o + 4, o + 8 + length)) !== stored) {
        throw new TollgateError('media.corrupt', `PNG chunk ${type} fails its CRC check`, { chunk: type, offset: o });
      }
    } else {
      metadataBytes += length;
      inflatedBytes += inflatedSize(type, b.subarray(o + 8, o + 8 + length), o);
      if (inflatedBytes > MAX_INFLATED_METADATA) {
        throw new TollgateError('media.metadata_bomb', `compressed PNG metadata inflates to more than ${MAX_INFLATED_METADATA} bytes`);
      }
    }
    o += 12 + length;
    if (type === 'IEND') return { exifSegments: exifFromPng(b), metadataBytes, ...appended(classifyTrailer(b, o)) };
  }
}

/**
 * Compressed PNG metadata (iCCP profiles, zTXt, compressed iTXt) is a zip-bomb vector: exifr inflates
 * iCCP with no output limit, and the provenance detectors inflate text chunks. Inflating here with a cap
 * costs little (real chunks are kilobytes; ComfyUI workflows ~100 KB) and bounds what anyone downstream
 * can be made to allocate.
 */
const MAX_INFLATED_METADATA = 32 * 1024 * 1024;

function inflatedSize(type: string, data: Buffer, offset: number): number {
  let at: number;
  if (type === 'iCCP' || type === 'zTXt') {
    at = data.indexOf(0) + 2; // keyword, NUL, compression method
  } else if (type === 'iTXt') {
    const keywordEnd = data.indexOf(0);
    if (keywordEnd < 0 || data[keywordEnd + 1] !== 1) return 0; // uncompressed text
    const languageEnd = data.indexOf(0, keywordEnd + 3);
    const translatedEnd = languageEnd < 0 ? -1 : data.indexOf(0, languageEnd + 1);
    if (translatedEnd < 0) return 0;
    at = translatedEnd + 1;
  } else return 0;
  if (at < 2 || at > data.length) return 0;
  try {
    return inflateSync(data.subarray(at), { maxOutputLength: MAX_INFLATED_METADATA }).length;
  } catch (err) {
    if (err instanceof RangeError || (err instanceof Error && 'code' in err && err.code === 'ERR_BUFFER_TOO_LARGE')) {
      throw new TollgateError('media.metadata_bomb', `PNG ${type} chunk at byte ${offset} inflates past ${MAX_INFLATED_METADATA} bytes`, { chunk: type, offset });
    }
    return 0; // malformed compressed data: the parsers will skip it too
  }
}

/** PNG eXIf chunk (a raw TIFF structure), for the bomb guard. */
function exifFromPng(b: Buffer): Buffer[] {
  const at = b.indexOf('eXIf', 8, 'latin1');
  if (at < 4) return [];
  const length = b.readUInt32BE(at - 4);
  return [b.subarray(at + 4, Math.min(b.length, at + 4 + length))];
}

/** RIFF chunks of a WebP: (fourcc, payload). Stops at the RIFF size or the end of the bytes. */
export function webpChunks(b: Buffer): { type: string; data: Buffer }[] {
  const end = Math.min(b.length, 8 + b.readUInt32LE(4));
  const chunks: { type: string; data: Buffer }[] = [];
  for (let o = 12; o + 8 <= end; ) {
    const size = b.readUInt32LE(o + 4);
    chunks.push({ type: b.toString('latin1', o, o + 4), data: b.subarray(o + 8, Math.min(end, o + 8 + size)) });
    o += 8 + size + (size & 1);
  }
  return chunks;
}

/** WebP EXIF payloads are raw TIFF, though some writers (ComfyUI) keep JPEG's "Exif\0\0" prefix. */
export function webpExif(data: Buffer): Buffer {
  return data.toString('latin1', 0, 6) === 'Exif\0\0' ? data.subarray(6) : data;
}

function checkWebp(b: Buffer): StructureReport {
  const riffEnd = 8 + b.readUInt32LE(4);
  if (riffEnd > b.length) throw new TollgateError('media.truncated', `WebP declares ${riffEnd} bytes but has ${b.length}`);
  const exifSegments: Buffer[] = [];
  let metadataBytes = 0;
  for (const chunk of webpChunks(b)) {
    if (chunk.type === 'EXIF' || chunk.type === 'XMP ' || chunk.type === 'ICCP') metadataBytes += chunk.data.length;
    if (chunk.type === 'EXIF') exifSegments.push(webpExif(chunk.data));
  }
  // RIFF pads to an even size; one zero byte after it is not "appended data".
  return { exifSegments, metadataBytes, ...appended(classifyTrailer(b, riffEnd)) };
}

/**
 * ISO-BMFF (MP4, MOV, HEIF): a top-level box that runs past the end means the upload was cut off, the
 * commonest way a video arrives broken (an interrupted upload). ffmpeg would often decode the frames that
 * did arrive, so without this check a cut video would be analysed as if it were whole.
 */
function checkIsoBoxes(b: Buffer): void {
  let o = 0;
  while (o + 8 <= b.length) {
    let size = b.readUInt32BE(o);
    if (size === 1) {
      if (o + 16 > b.length) throw new TollgateError('media.truncated', 'the file ends inside a box header');
      size = Number(b.readBigUInt64BE(o + 8));
    } else if (size === 0) return; // "extends to the end of the file"
    if (size < 8) throw new TollgateError('media.corrupt', `box of size ${size} at byte ${o}`);
    if (o + size > b.length) {
      const type = b.toString('latin1', o + 4, o + 8);
      throw new TollgateError('media.truncated', `box '${type}' at byte ${o} needs ${size} bytes, ${b.length - o} remain`, { box: type, offset: o });
    }
    o += size;
  }
}

/** Matroska/WebM: the Segment's declared size (when known) must fit in the file. */
function checkEbmlSegment(b: Buffer): void {
  const vint = (o: number, keepMarker: boolean): [number, number, boolean] | undefined => {
    const first = b[o];
    if (first === undefined || first === 0) return undefined;
    let len = 1;
    while (!(first & (0x80 >> (len - 1)))) len++;
    if (o + len > b.length) return undefined;
    let value = keepMarker ? first : first & (0xff >> len);
    let allOnes = (first & (0xff >> len)) === 0xff >> len;
    for (let i = 1; i < len; i++) {
      value = value * 256 + (b[o + i] ?? 0);
      if (b[o + i] !== 0xff) allOnes = false;
    }
    return [value, len, allOnes];
  };
  const header = vint(4, false);
  if (!header) return;
  const segAt = 4 + header[1] + header[0];
  const id = vint(segAt, true);
  if (!id || id[0] !== 0x18538067) return; // not a Segment where expected: leave it to ffprobe
  const size = vint(segAt + id[1], false);
  if (!size || size[2]) return; // unknown size (live streams, some muxers)
  const end = segAt + id[1] + size[1] + size[0];
  if (end > b.length) throw new TollgateError('media.truncated', `Matroska segment needs ${end} bytes, the file has ${b.length}`);
}

/**
 * The EXIF item of a HEIF file, found by its "Exif\0\0" + TIFF header signature rather than by resolving
 * iinf/iloc: the guard only needs the TIFF structure, and phones store the item near the start of mdat.
 */
function heifExif(b: Buffer): Buffer[] {
  const limit = Math.min(b.length, 1 << 20);
  for (let at = b.indexOf('Exif\0\0', 0, 'latin1'); at >= 0 && at < limit; at = b.indexOf('Exif\0\0', at + 1, 'latin1')) {
    const order = b.toString('latin1', at + 6, at + 10);
    if (order === 'MM\0*' || order === 'II*\0') return [b.subarray(at + 6)];
  }
  return [];
}

/**
 * Walks GIF blocks to the trailer (0x3B): what follows it is appended data (GIF/JS and GIF/JAR polyglots
 * are classics), and a file that stops before it was cut off.
 */
function checkGif(b: Buffer): StructureReport {
  const cut = (): never => {
    throw new TollgateError('media.truncated', 'GIF ends before its trailer');
  };
  const tableSize = (flags: number): number => ((flags & 0x80) !== 0 ? 3 * (1 << ((flags & 0x07) + 1)) : 0);
  const skipSubBlocks = (from: number): number => {
    let o = from;
    for (;;) {
      const n = b[o];
      if (n === undefined) return cut();
      o += 1 + n;
      if (n === 0) return o;
    }
  };
  let o = 13 + tableSize(b[10] ?? 0);
  for (;;) {
    const block = b[o];
    if (block === undefined) return cut();
    if (block === 0x3b) return { exifSegments: [], metadataBytes: 0, ...appended(classifyTrailer(b, o + 1)) };
    if (block === 0x21) o = skipSubBlocks(o + 2);
    else if (block === 0x2c) {
      if (o + 10 > b.length) return cut();
      o = skipSubBlocks(o + 10 + tableSize(b[o + 9] ?? 0) + 1);
    } else throw new TollgateError('media.corrupt', `unknown GIF block 0x${block.toString(16)} at byte ${o}`);
  }
}
