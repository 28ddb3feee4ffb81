import { crc32, deflateSync } from 'node:zlib';
import type { ErrorCode } from '../../src/errors.ts';

/**
 * A corpus of hostile or broken uploads, built in memory (nothing is downloaded, nothing big is allocated),
 * each with the error code `openMedia` must answer. The API and CLI tests reuse it:
 *
 *   import { BAD_INPUTS } from '../support/bad-inputs.ts';
 *   for (const c of BAD_INPUTS) await expect(openMedia(c.bytes)).rejects.toMatchObject({ code: c.expectedCode });
 *
 * `fileName` is the misleading name an attacker would use; the type is always sniffed from the bytes.
 */
export interface BadInput {
  name: string;
  fileName: string;
  bytes: Buffer;
  expectedCode: ErrorCode;
}

/** A real 32×24 baseline JPEG (sharp, quality 85), small enough to inline. */
export const TINY_JPEG = Buffer.from(
  '/9j/2wBDAAUDBAQEAwUEBAQFBQUGBwwIBwcHBw8LCwkMEQ8SEhEPERETFhwXExQaFRERGCEYGh0dHx8fExciJCIeJBweHx7/2wBDAQUFBQcGBw4ICA4eFBEUHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh7/wAARCAAYACADASIAAhEBAxEB/8QAFwABAQEBAAAAAAAAAAAAAAAABQAGCP/EAB4QAAECBwEAAAAAAAAAAAAAABEiYQQFMUFRgbEA/8QAFwEBAQEBAAAAAAAAAAAAAAAABgcFCP/EABsRAAIDAAMAAAAAAAAAAAAAAAAEAwUhMVFh/9oADAMBAAIRAxEAPwDniAkgCAGA5hqWCHoGSAIA0OYalgjWwEkAQBocw1LBD0DJAEAaHMNSwQuauPTMor7jTJwEkAQBocw1LBD8DJAEAaHMNSwRrICSAIA0OYalgh+BkgCANDmGpYIONXHpZ6K+40OgZIAgBgOYalgh+BkgCANDmGpYIvXjTTUnZx9ROS5o9ASQBAGhzDUsEPwMkAQBocw1LBF68daak7LNROS5p//Z',
  'base64',
);

/** A real 32×24 lossy WebP (sharp, quality 80). */
export const TINY_WEBP = Buffer.from(
  'UklGRiwBAABXRUJQVlA4ICABAABwCQCdASogABgAPmksj0WkIqEYBgBABoS1AE6ZQjqDy+9DtqyQJ0gqgXeomDf/5//T/mBf/39P/b+IL//9PjzAP+r/ABfYzXcrXd94bpCtxkDKxAAA/v1c8UHvBC75cxO6U64Y9PXhnQvipYapMNoijIxXxVju+IBiuRPvEx/RNGL0Nf/iG684x28vona2kYq57YMnXRrBFNBcS1WBimZ3N6bUUl/E9R7wcWBbM3IrR0YYlBr3qKJsjElu//E5B1dqXhR5uJ7097glBiFs/rr4vwLmmxmakjW5s3pMfuz76gk76eXz/siGFu5j1zaqgY7SAEP2lehmt0rHtWukjFMj1inDEO8+oUOt+F0f1mXjLkFRqzd7hdkkw9GACqMKSAA=',
  'base64',
);

/** The well-known 1×1 transparent GIF (43 bytes). */
export const TINY_GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

export function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** An 8-bit RGB PNG; `rows` is the (filtered) scanline data that goes into IDAT, deflated. */
export function makePng(width: number, height: number, rows: Buffer): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // depth 8, colour type RGB, deflate, adaptive filter, no interlace
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(rows)), pngChunk('IEND', Buffer.alloc(0))]);
}

/** A valid 16×16 grey PNG. */
export function tinyPng(): Buffer {
  const rows = Buffer.alloc(16 * (1 + 16 * 3), 0x80);
  for (let y = 0; y < 16; y++) rows[y * (1 + 16 * 3)] = 0; // filter type None
  return makePng(16, 16, rows);
}

/**
 * A PNG whose IHDR claims 50000×50000 (2.5 gigapixels, 7.5 GB of RGB) with a tiny IDAT: a decompression
 * bomb that must be refused from the header, before any decoder allocates.
 */
export function pngBomb(): Buffer {
  return makePng(50_000, 50_000, Buffer.alloc(1024));
}

/**
 * A PNG with 40 zTXt chunks of ~1 KB that each inflate to 1 MB: a zip bomb aimed at metadata readers.
 * The compressed block is made once from 1 MB of zeros, so building the case costs 1 MB, not 40.
 */
export function pngWithZtxtBomb(): Buffer {
  const png = tinyPng();
  const payload = Buffer.concat([Buffer.from('Comment\0\0', 'latin1'), deflateSync(Buffer.alloc(1024 * 1024))]);
  const chunks = Array.from({ length: 40 }, () => pngChunk('zTXt', payload));
  const ihdrEnd = 8 + 12 + 13;
  return Buffer.concat([png.subarray(0, ihdrEnd), ...chunks, png.subarray(ihdrEnd)]);
}

/** Inserts an APP1 Exif segment (TIFF payload) right after SOI. */
export function jpegWithExif(tiff: Buffer, jpeg: Buffer = TINY_JPEG): Buffer {
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const head = Buffer.from([0xff, 0xe1, 0, 0]);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), head, payload, jpeg.subarray(2)]);
}

/** Little-endian TIFF header + one IFD with `entries` entries, whose next-IFD pointer is `next`. */
export function tiffWithIfd(entries: number, next: number, exifPointer?: number): Buffer {
  const b = Buffer.alloc(8 + 2 + entries * 12 + 4);
  b.write('II', 0, 'latin1');
  b.writeUInt16LE(42, 2);
  b.writeUInt32LE(8, 4);
  b.writeUInt16LE(entries, 8);
  for (let i = 0; i < entries; i++) {
    const e = 10 + i * 12;
    const isPointer = i === 0 && exifPointer !== undefined;
    b.writeUInt16LE(isPointer ? 0x8769 : 0x0100 + (i % 0x1000), e); // tag
    b.writeUInt16LE(4, e + 2); // LONG
    b.writeUInt32LE(1, e + 4); // count
    b.writeUInt32LE(isPointer ? (exifPointer ?? 0) : i, e + 8);
  }
  b.writeUInt32LE(next, 10 + entries * 12);
  return b;
}

/** A ZIP with one stored file: local header, data, central directory, end record. */
export function tinyZip(): Buffer {
  const name = Buffer.from('photo.jpg', 'latin1');
  const data = Buffer.from('not really a photo', 'latin1');
  const crc = crc32(data);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(name.length, 28);
  const centralOffset = local.length + name.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  return Buffer.concat([local, name, data, central, name, end]);
}

/** An MP4 whose moov box is garbage: ffprobe must fail and the view must say media.corrupt. */
export function brokenMp4(): Buffer {
  const box = (type: string, body: Buffer): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(8 + body.length, 0);
    head.write(type, 4, 'latin1');
    return Buffer.concat([head, body]);
  };
  const noise = Buffer.alloc(4096);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 73 + 41) & 0xff; // deterministic noise
  return Buffer.concat([
    box('ftyp', Buffer.from('isom\0\0\x02\0isomiso2mp41', 'latin1')),
    box('moov', noise),
    box('mdat', Buffer.alloc(2048, 0x11)),
  ]);
}

/** A WebM EBML header (DocType "webm") followed by noise instead of a Segment. */
export function brokenWebm(): Buffer {
  const el = (id: string, body: Buffer): Buffer => Buffer.concat([Buffer.from(id, 'hex'), Buffer.from([0x80 | body.length]), body]);
  const children = Buffer.concat([
    el('4286', Buffer.from([1])),
    el('42f7', Buffer.from([1])),
    el('42f2', Buffer.from([4])),
    el('42f3', Buffer.from([8])),
    el('4282', Buffer.from('webm', 'latin1')),
    el('4287', Buffer.from([4])),
    el('4285', Buffer.from([2])),
  ]);
  const noise = Buffer.alloc(4096);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 151 + 7) & 0xff;
  return Buffer.concat([el('1a45dfa3', children), noise]);
}

/** A HEIC-branded file whose mdat carries an EXIF item with a looping IFD (refused before decoding). */
export function heicWithLoopingExif(): Buffer {
  const box = (type: string, body: Buffer): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(8 + body.length, 0);
    head.write(type, 4, 'latin1');
    return Buffer.concat([head, body]);
  };
  const exifItem = Buffer.concat([Buffer.from([0, 0, 0, 6]), Buffer.from('Exif\0\0', 'latin1'), tiffWithIfd(2, 8)]);
  return Buffer.concat([box('ftyp', Buffer.from('heic\0\0\0\0mif1heic', 'latin1')), box('mdat', exifItem)]);
}

/** A WebM whose Segment declares 1 MB but the upload stops after a few hundred bytes. */
export function truncatedWebm(): Buffer {
  const full = brokenWebm();
  const headerEnd = 5 + (full[4] ?? 0x80) - 0x80;
  // Segment ID 0x18538067 with a 4-byte size of 1 MiB, then a little payload.
  const segment = Buffer.from([0x18, 0x53, 0x80, 0x67, 0x10, 0x10, 0x00, 0x00]);
  return Buffer.concat([full.subarray(0, headerEnd), segment, Buffer.alloc(300, 0xec)]);
}

function withCorruptIdat(png: Buffer): Buffer {
  const out = Buffer.from(png);
  const idat = out.indexOf('IDAT', 8, 'latin1');
  out[idat + 6] = (out[idat + 6] ?? 0) ^ 0xff; // flip a data byte; the stored CRC no longer matches
  return out;
}

const text = (s: string): Buffer => Buffer.from(s, 'utf8');

function build(): BadInput[] {
  const png = tinyPng();
  const eoi = TINY_JPEG.length;
  return [
    { name: 'zero bytes', fileName: 'empty.jpg', bytes: Buffer.alloc(0), expectedCode: 'media.empty' },
    { name: 'truncated JPEG', fileName: 'cut.jpg', bytes: TINY_JPEG.subarray(0, Math.floor(eoi * 0.7)), expectedCode: 'media.truncated' },
    { name: 'JPEG cut inside its headers', fileName: 'head.jpg', bytes: TINY_JPEG.subarray(0, 40), expectedCode: 'media.truncated' },
    { name: 'truncated PNG', fileName: 'cut.png', bytes: png.subarray(0, png.length - 20), expectedCode: 'media.truncated' },
    { name: 'PNG with a bad IDAT CRC', fileName: 'crc.png', bytes: withCorruptIdat(png), expectedCode: 'media.corrupt' },
    { name: '50000×50000 PNG bomb', fileName: 'bomb.png', bytes: pngBomb(), expectedCode: 'media.too_many_pixels' },
    { name: 'truncated WebP', fileName: 'cut.webp', bytes: TINY_WEBP.subarray(0, 200), expectedCode: 'media.truncated' },
    { name: 'truncated GIF', fileName: 'cut.gif', bytes: TINY_GIF.subarray(0, 30), expectedCode: 'media.truncated' },
    {
      name: 'GIF with HTML appended (polyglot)',
      fileName: 'poly.gif',
      bytes: Buffer.concat([TINY_GIF, text('<html><body onload=alert(1)></body></html>')]),
      expectedCode: 'media.active_content',
    },
    { name: 'GIF with a JAR appended (GIFAR)', fileName: 'gifar.gif', bytes: Buffer.concat([TINY_GIF, tinyZip()]), expectedCode: 'media.archive' },
    { name: 'ZIP renamed .jpg', fileName: 'holiday.jpg', bytes: tinyZip(), expectedCode: 'media.archive' },
    { name: 'gzip renamed .png', fileName: 'x.png', bytes: Buffer.from('1f8b0800000000000003030000000000000000', 'hex'), expectedCode: 'media.archive' },
    {
      name: 'HTML renamed .png',
      fileName: 'cat.png',
      bytes: text('<!DOCTYPE html>\n<html><body><script>fetch("/steal")</script></body></html>'),
      expectedCode: 'media.active_content',
    },
    {
      name: 'SVG with a script',
      fileName: 'logo.svg',
      bytes: text('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'),
      expectedCode: 'media.active_content',
    },
    { name: 'PDF renamed .jpg', fileName: 'scan.jpg', bytes: text('%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n'), expectedCode: 'media.unsupported_type' },
    { name: 'plain text', fileName: 'notes.jpg', bytes: text('just some words, no media here\n'), expectedCode: 'media.unsupported_type' },
    { name: 'JPEG with a self-looping EXIF IFD', fileName: 'loop.jpg', bytes: jpegWithExif(tiffWithIfd(2, 8)), expectedCode: 'media.metadata_bomb' },
    {
      name: 'JPEG whose Exif IFD points back at IFD0',
      fileName: 'loop2.jpg',
      bytes: jpegWithExif(tiffWithIfd(3, 0, 8)),
      expectedCode: 'media.metadata_bomb',
    },
    { name: 'PNG whose zTXt chunks inflate to 40 MB', fileName: 'ztxt.png', bytes: pngWithZtxtBomb(), expectedCode: 'media.metadata_bomb' },
    { name: 'HEIC with a looping EXIF IFD', fileName: 'loop.heic', bytes: heicWithLoopingExif(), expectedCode: 'media.metadata_bomb' },
    { name: 'JPEG with a 5000-entry EXIF IFD', fileName: 'huge-exif.jpg', bytes: jpegWithExif(tiffWithIfd(5000, 0)), expectedCode: 'media.metadata_bomb' },
    { name: 'JPEG with a ZIP appended (polyglot)', fileName: 'poly.jpg', bytes: Buffer.concat([TINY_JPEG, tinyZip()]), expectedCode: 'media.archive' },
    {
      name: 'PNG with HTML appended (polyglot)',
      fileName: 'poly.png',
      bytes: Buffer.concat([png, text('<html><script>alert(document.cookie)</script></html>')]),
      expectedCode: 'media.active_content',
    },
    { name: 'MP4 with a broken container', fileName: 'clip.mp4', bytes: brokenMp4(), expectedCode: 'media.corrupt' },
    { name: 'WebM with a broken container', fileName: 'clip.webm', bytes: brokenWebm(), expectedCode: 'media.corrupt' },
    { name: 'MP4 cut off inside its moov box', fileName: 'cut.mp4', bytes: brokenMp4().subarray(0, 1000), expectedCode: 'media.truncated' },
    { name: 'WebM cut off inside its Segment', fileName: 'cut.webm', bytes: truncatedWebm(), expectedCode: 'media.truncated' },
  ];
}

/** Built once at import: about 200 KB in total. */
export const BAD_INPUTS: readonly BadInput[] = build();
