import { inflateSync } from 'node:zlib';

/**
 * A pure-TS reader for the metadata chunks of a PNG (tEXt, zTXt, iTXt, eXIf, IHDR).
 *
 * Why our own reader: generator front ends write their parameters into text chunks that general
 * metadata libraries either skip (zTXt, chunks after IDAT) or reject when a CRC is wrong. We only walk
 * chunk headers, never decode pixels, so a 2 MB PNG costs a few microseconds plus the text itself.
 */

export interface PngTextChunk {
  /** Chunk type the text came from. */
  chunk: 'tEXt' | 'zTXt' | 'iTXt';
  keyword: string;
  text: string;
  /** True when the stored CRC did not match: we keep the text (tolerant) but report it. */
  crcMismatch: boolean;
  afterIdat: boolean;
}

export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA. */
  colorType: number;
}

export interface PngMetadata {
  header: PngHeader | null;
  texts: PngTextChunk[];
  /** Raw TIFF bytes of an eXIf chunk, if any. */
  exif: Buffer | null;
  /** Problems found while walking the file; the walk continues where it safely can. */
  warnings: string[];
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Guards against zip bombs hidden in zTXt/iTXt: generator parameters are kilobytes, workflows < 2 MB. */
const MAX_INFLATED_TEXT = 8 * 1024 * 1024;
/** A single text chunk larger than this is not generator metadata we need to read in full. */
const MAX_TEXT_CHUNK = 16 * 1024 * 1024;

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && Buffer.from(bytes.buffer, bytes.byteOffset, 8).equals(PNG_SIGNATURE);
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(data: Uint8Array, start = 0, end = data.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = (CRC_TABLE[(c ^ (data[i] ?? 0)) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Reads every metadata chunk. Never throws: a broken file yields what could be read plus warnings. */
export function readPngMetadata(bytes: Buffer): PngMetadata {
  const result: PngMetadata = { header: null, texts: [], exif: null, warnings: [] };
  if (!isPng(bytes)) {
    result.warnings.push('png.signature: not a PNG signature');
    return result;
  }
  let offset = 8;
  let afterIdat = false;
  while (offset < bytes.length) {
    if (offset + 8 > bytes.length) {
      result.warnings.push(`png.truncated: ${bytes.length - offset} stray bytes after the last chunk`);
      break;
    }
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    const dataStart = offset + 8;
    const dataEnd = dataStart + length;
    if (length > 0x7fffffff || dataEnd + 4 > bytes.length) {
      result.warnings.push(`png.truncated: chunk ${JSON.stringify(type)} at ${offset} runs past the end of the file`);
      break;
    }
    if (type === 'IHDR' && length >= 13) {
      result.header = {
        width: bytes.readUInt32BE(dataStart),
        height: bytes.readUInt32BE(dataStart + 4),
        bitDepth: bytes[dataStart + 8] ?? 0,
        colorType: bytes[dataStart + 9] ?? 0,
      };
    } else if (type === 'IDAT') {
      afterIdat = true;
    } else if (type === 'tEXt' || type === 'zTXt' || type === 'iTXt' || type === 'eXIf') {
      const crcMismatch = crc32(bytes, offset + 4, dataEnd) !== bytes.readUInt32BE(dataEnd);
      if (crcMismatch) result.warnings.push(`png.crc: chunk ${type} at ${offset} has a bad CRC (read anyway)`);
      const data = bytes.subarray(dataStart, dataEnd);
      if (type === 'eXIf') result.exif = Buffer.from(data);
      else if (length > MAX_TEXT_CHUNK) result.warnings.push(`png.oversized_text: ${type} chunk of ${length} bytes skipped`);
      else {
        const parsed = parseTextChunk(type, data, result.warnings);
        if (parsed) result.texts.push({ chunk: type, ...parsed, crcMismatch, afterIdat });
      }
    } else if (type === 'IEND') {
      break;
    }
    offset = dataEnd + 4;
  }
  return result;
}

function parseTextChunk(
  type: 'tEXt' | 'zTXt' | 'iTXt',
  data: Buffer,
  warnings: string[],
): { keyword: string; text: string } | null {
  const nul = data.indexOf(0);
  if (nul <= 0 || nul > 79) {
    warnings.push(`png.bad_keyword: ${type} chunk without a valid keyword`);
    return null;
  }
  const keyword = data.toString('latin1', 0, nul);
  try {
    if (type === 'tEXt') {
      // The spec says Latin-1, but every SD front end writes UTF-8; decode as UTF-8 when it is valid.
      return { keyword, text: decodeUtf8OrLatin1(data.subarray(nul + 1)) };
    }
    if (type === 'zTXt') {
      // Byte after the keyword's NUL is the compression method (0 = deflate).
      return { keyword, text: decodeUtf8OrLatin1(inflate(data.subarray(nul + 2))) };
    }
    // iTXt: keyword\0 compressionFlag compressionMethod languageTag\0 translatedKeyword\0 text
    const compressed = data[nul + 1] === 1;
    const langEnd = data.indexOf(0, nul + 3);
    const transEnd = langEnd < 0 ? -1 : data.indexOf(0, langEnd + 1);
    if (transEnd < 0) {
      warnings.push(`png.bad_itxt: iTXt chunk ${JSON.stringify(keyword)} is missing its language/translation fields`);
      return null;
    }
    const body = data.subarray(transEnd + 1);
    return { keyword, text: (compressed ? inflate(body) : body).toString('utf8') };
  } catch (error) {
    warnings.push(`png.bad_compressed_text: ${type} chunk ${JSON.stringify(keyword)}: ${(error as Error).message}`);
    return null;
  }
}

function inflate(data: Buffer): Buffer {
  return inflateSync(data, { maxOutputLength: MAX_INFLATED_TEXT });
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8OrLatin1(data: Buffer): string {
  try {
    return UTF8.decode(data);
  } catch {
    return data.toString('latin1');
  }
}
