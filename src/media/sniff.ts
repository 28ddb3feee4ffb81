import { TollgateError } from '../errors.ts';
import type { MediaKind } from './types.ts';

/**
 * The real type of an upload, from its magic bytes only. File names and Content-Type headers are
 * attacker-controlled, so they are never consulted.
 *
 * Recognised non-media is rejected here with a specific code rather than a generic "unsupported", because
 * the code is what a reviewer sees: an archive or an HTML page renamed `.jpg` is a different story from an
 * exotic camera format.
 *
 * SVG is always `media.active_content`: it is an XML document that may carry script, event handlers and
 * external references, and rasterising it would fetch or execute them. We accept no vector uploads.
 */
export interface SniffResult {
  kind: MediaKind;
  /** Short format name: jpeg, png, webp, gif, tiff, heic, heif, avif, mp4, mov, webm, mkv. */
  format: string;
  mime: string;
  /** WebP/PNG/GIF/AVIF with an animation flag in the header (GIF: more than one image block). */
  animated: boolean;
}

const ascii = (b: Buffer, start: number, end: number): string => b.toString('latin1', start, Math.min(end, b.length));

function startsWith(b: Buffer, sig: readonly number[], offset = 0): boolean {
  if (b.length < offset + sig.length) return false;
  for (let i = 0; i < sig.length; i++) if (b[offset + i] !== sig[i]) return false;
  return true;
}

const HEIC_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'hevm', 'hevs']);
const AVIF_BRANDS = new Set(['avif', 'avis']);
const HEIF_BRANDS = new Set(['mif1', 'msf1', 'mif2', 'miaf']);
const QT_BRANDS = new Set(['qt  ']);
// Top-level QuickTime atoms that old .mov files start with (they predate `ftyp`).
const QT_LEGACY_ATOMS = new Set(['moov', 'mdat', 'wide', 'free', 'skip', 'pnot']);
// ISO-BMFF brands that are audio-only or not video at all; ffprobe would find no video stream anyway,
// but failing here gives a clearer message.
const AUDIO_BRANDS = new Set(['M4A ', 'M4B ', 'M4P ', 'F4A ', 'F4B ']);

function sniffIsoBmff(b: Buffer): SniffResult | undefined {
  if (ascii(b, 4, 8) !== 'ftyp') {
    if (b.length >= 8 && QT_LEGACY_ATOMS.has(ascii(b, 4, 8))) return video('mov', 'video/quicktime');
    return undefined;
  }
  const boxSize = Math.min(b.readUInt32BE(0), b.length, 4096);
  const major = ascii(b, 8, 12);
  const brands = [major];
  for (let o = 16; o + 4 <= boxSize; o += 4) brands.push(ascii(b, o, o + 4));
  const has = (set: Set<string>): boolean => brands.some((x) => set.has(x));
  // The major brand wins; compatible brands decide only for the generic HEIF brands (mif1/msf1).
  if (AVIF_BRANDS.has(major)) return image('avif', 'image/avif', major === 'avis');
  if (HEIC_BRANDS.has(major)) return image('heic', 'image/heic', major.startsWith('hev'));
  if (HEIF_BRANDS.has(major)) {
    if (has(AVIF_BRANDS)) return image('avif', 'image/avif', brands.includes('avis'));
    if (has(HEIC_BRANDS)) return image('heic', 'image/heic', major === 'msf1');
    return image('heif', 'image/heif', major === 'msf1');
  }
  if (QT_BRANDS.has(major)) return video('mov', 'video/quicktime');
  if (AUDIO_BRANDS.has(major)) throw new TollgateError('media.unsupported_type', `audio-only container (ftyp ${major.trim()})`);
  if (major === 'crx ') throw new TollgateError('media.unsupported_type', 'Canon CR3 raw images are not supported');
  if (major.startsWith('jp2') || major === 'jpx ') throw new TollgateError('media.unsupported_type', 'JPEG 2000 is not supported');
  // isom, iso2..9, mp41, mp42, avc1, dash, M4V, 3gp*, 3g2*, f4v and vendor brands: all MP4 family.
  return video('mp4', 'video/mp4');
}

/** Reads an EBML variable-length integer; returns [value, length] or undefined past the end. */
function readVint(b: Buffer, o: number, keepMarker: boolean): [number, number] | undefined {
  const first = b[o];
  if (first === undefined || first === 0) return undefined;
  let len = 1;
  while (len <= 8 && !(first & (0x80 >> (len - 1)))) len++;
  if (len > 8 || o + len > b.length) return undefined;
  let value = keepMarker ? first : first & (0xff >> len);
  for (let i = 1; i < len; i++) value = value * 256 + (b[o + i] ?? 0);
  return [value, len];
}

function sniffEbml(b: Buffer): SniffResult {
  // EBML header: ID 0x1A45DFA3, size, then children; DocType is ID 0x4282.
  const headerSize = readVint(b, 4, false);
  let docType = '';
  if (headerSize) {
    const end = Math.min(b.length, 4 + headerSize[1] + headerSize[0]);
    for (let o = 4 + headerSize[1]; o < end; ) {
      const id = readVint(b, o, true);
      if (!id) break;
      const size = readVint(b, o + id[1], false);
      if (!size) break;
      const dataStart = o + id[1] + size[1];
      if (id[0] === 0x4282) {
        docType = ascii(b, dataStart, dataStart + size[0]).replace(/\0+$/, '');
        break;
      }
      o = dataStart + size[0];
    }
  }
  if (docType === 'webm') return video('webm', 'video/webm');
  if (docType === 'matroska' || docType === '') return video('mkv', 'video/x-matroska');
  throw new TollgateError('media.unsupported_type', `EBML document type ${docType}`);
}

function image(format: string, mime: string, animated = false): SniffResult {
  return { kind: 'image', format, mime, animated };
}
function video(format: string, mime: string): SniffResult {
  return { kind: 'video', format, mime, animated: true };
}

function sniffWebp(b: Buffer): SniffResult {
  const chunk = ascii(b, 12, 16);
  // VP8X flags byte: bit 1 = animation. A plain VP8/VP8L file cannot be animated.
  const animated = chunk === 'VP8X' && ((b[20] ?? 0) & 0x02) !== 0;
  return image('webp', 'image/webp', animated);
}

function sniffPng(b: Buffer): SniffResult {
  // APNG declares acTL before the first IDAT; look only in the header region.
  const head = b.subarray(0, Math.min(b.length, 64 * 1024));
  const actl = head.indexOf('acTL', 0, 'latin1');
  const idat = head.indexOf('IDAT', 0, 'latin1');
  return image('png', 'image/png', actl >= 0 && (idat < 0 || actl < idat));
}

const ARCHIVES: ReadonlyArray<[string, readonly number[], number?]> = [
  ['zip', [0x50, 0x4b, 0x03, 0x04]],
  ['zip', [0x50, 0x4b, 0x05, 0x06]],
  ['zip', [0x50, 0x4b, 0x07, 0x08]],
  ['rar', [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07]],
  ['7z', [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]],
  ['gzip', [0x1f, 0x8b]],
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
  ['cab', [0x4d, 0x53, 0x43, 0x46]],
  ['tar', [0x75, 0x73, 0x74, 0x61, 0x72], 257],
];

const UNSUPPORTED: ReadonlyArray<[string, readonly number[]]> = [
  ['PDF', [0x25, 0x50, 0x44, 0x46]],
  ['PostScript', [0x25, 0x21]],
  ['BMP', [0x42, 0x4d]],
  ['Photoshop', [0x38, 0x42, 0x50, 0x53]],
  ['ICO', [0x00, 0x00, 0x01, 0x00]],
  ['JPEG XL', [0xff, 0x0a]],
  ['JPEG XL', [0x00, 0x00, 0x00, 0x0c, 0x4a, 0x58, 0x4c, 0x20]],
  ['JPEG 2000', [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20]],
  ['Windows executable', [0x4d, 0x5a]],
  ['ELF executable', [0x7f, 0x45, 0x4c, 0x46]],
  ['MP3 audio', [0x49, 0x44, 0x33]],
  ['FLAC audio', [0x66, 0x4c, 0x61, 0x43]],
  ['Ogg', [0x4f, 0x67, 0x67, 0x53]],
  ['MPEG transport stream', [0x47]],
  ['OLE compound document', [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]],
];

/** Markup that a browser or XML tool would interpret, found in `text` (lower-cased). */
export function findActiveMarkup(text: string): string | undefined {
  // Document kinds first, so an HTML page is reported as such rather than by the script inside it.
  const patterns: ReadonlyArray<[RegExp, string]> = [
    [/<!doctype html|<html[\s>]|<head[\s>]|<body[\s>]|<iframe[\s>]|<object[\s>]|<embed[\s>]/, 'HTML document'],
    [/<svg[\s>]/, 'SVG document'],
    [/<\?php/, 'PHP code'],
    [/<script[\s>/]/, 'script element'],
    [/javascript:/, 'javascript: URL'],
  ];
  for (const [re, what] of patterns) if (re.test(text)) return what;
  return undefined;
}

function sniffText(b: Buffer): never {
  // Only the head is inspected: enough to see a doctype, root element or early script, and cheap.
  let text = b.toString('utf8', 0, Math.min(b.length, 4096)).toLowerCase();
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const trimmed = text.trimStart();
  const markup = findActiveMarkup(trimmed);
  if (markup) throw new TollgateError('media.active_content', `the file is active content (${markup}), not media`, { found: markup });
  if (trimmed.startsWith('<?xml') || trimmed.startsWith('<')) {
    throw new TollgateError('media.unsupported_type', 'the file is an XML/markup document, not media');
  }
  throw new TollgateError('media.unsupported_type', 'the bytes match no supported image or video format');
}

function rawFormat(b: Buffer): string | undefined {
  if (startsWith(b, [0x49, 0x49, 0x2a, 0x00]) && ascii(b, 8, 10) === 'CR') return 'Canon CR2';
  if (ascii(b, 0, 4) === 'IIRO' || ascii(b, 0, 4) === 'IIRS' || ascii(b, 0, 4) === 'MMOR') return 'Olympus ORF';
  if (startsWith(b, [0x49, 0x49, 0x55, 0x00])) return 'Panasonic RW2';
  if (ascii(b, 0, 15) === 'FUJIFILMCCD-RAW') return 'Fujifilm RAF';
  if (ascii(b, 0, 2) === 'II' && ascii(b, 6, 14) === 'HEAPCCDR') return 'Canon CRW';
  if (ascii(b, 0, 4) === 'FOVb') return 'Sigma X3F';
  return undefined;
}

/** Throws `media.empty`, `media.archive`, `media.active_content` or `media.unsupported_type` for non-media. */
export function sniff(bytes: Buffer): SniffResult {
  if (bytes.length === 0) throw new TollgateError('media.empty');
  const b = bytes;
  if (startsWith(b, [0xff, 0xd8, 0xff])) return image('jpeg', 'image/jpeg');
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return sniffPng(b);
  if (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a') return image('gif', 'image/gif');
  if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP') return sniffWebp(b);
  // Camera raw formats with their own signatures; libvips would read at most a preview and then fail
  // with a misleading "corrupt". (NEF, ARW and DNG are plain TIFF and go through as TIFF.)
  const raw = rawFormat(b);
  if (raw) throw new TollgateError('media.unsupported_type', `${raw} camera raw files are not supported`, { type: raw });
  if (startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a])) return image('tiff', 'image/tiff');
  // BigTIFF: libvips reads it, and it is the same family.
  if (startsWith(b, [0x49, 0x49, 0x2b, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2b])) return image('tiff', 'image/tiff');
  if (startsWith(b, [0x1a, 0x45, 0xdf, 0xa3])) return sniffEbml(b);
  if (b.length >= 12) {
    const iso = sniffIsoBmff(b);
    if (iso) return iso;
  }
  if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 11) === 'AVI') {
    throw new TollgateError('media.unsupported_type', 'AVI video is not supported');
  }
  for (const [name, sig, offset] of ARCHIVES) {
    if (startsWith(b, sig, offset ?? 0)) throw new TollgateError('media.archive', `the file is a ${name} archive`, { archive: name });
  }
  // TS packets are 188 bytes apart; a lone 0x47 is too weak a signature on its own.
  for (const [name, sig] of UNSUPPORTED) {
    if (name === 'MPEG transport stream' && !(b[0] === 0x47 && b[188] === 0x47)) continue;
    if (startsWith(b, sig)) throw new TollgateError('media.unsupported_type', `${name} is not a supported media type`, { type: name });
  }
  return sniffText(b);
}
