/**
 * A small JPEG segment walker and quantization-table reader in pure TS.
 *
 * Why our own: exifr skips structure it does not need, and ExifTool is far too slow for the hot path.
 * Walking the markers costs well under a millisecond per file because the entropy-coded data is skipped
 * with Buffer.indexOf (native) instead of a byte loop.
 */

export interface JpegSegment {
  marker: number;
  /** Offset of the 0xFF of the marker. */
  offset: number;
  /** Length of the payload (without the two marker bytes and the two length bytes). */
  length: number;
}

export interface QuantTable {
  id: number;
  precision: 8 | 16;
  /** 64 values in the zig-zag order they are stored in. */
  values: number[];
}

export interface JpegStructure {
  segments: JpegSegment[];
  tables: QuantTable[];
  /** Offset just after the EOI marker; undefined when the file ends without one. */
  eoiEnd?: number;
  /** Bytes after EOI. */
  trailingBytes: number;
  /** Problems found while walking, machine-readable. */
  problems: string[];
  /** Number of SOF segments (more than one means an embedded or spliced image stream). */
  frames: number;
  progressive: boolean;
}

export const SOI = 0xd8;
export const EOI = 0xd9;
export const SOS = 0xda;
export const DQT = 0xdb;
const MAX_SEGMENTS = 4096;
const SOF_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

const cache = new WeakMap<Buffer, JpegStructure>();

/** walkJpeg, once per buffer: several detectors read the same structure. */
export function jpegStructure(bytes: Buffer): JpegStructure {
  let s = cache.get(bytes);
  if (!s) {
    s = walkJpeg(bytes);
    cache.set(bytes, s);
  }
  return s;
}

export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length > 3 && bytes[0] === 0xff && bytes[1] === SOI && bytes[2] === 0xff;
}

/** Walks markers from SOI to EOI. Never throws: malformed input is reported in `problems`. */
export function walkJpeg(bytes: Buffer): JpegStructure {
  const out: JpegStructure = { segments: [], tables: [], trailingBytes: 0, problems: [], frames: 0, progressive: false };
  if (!isJpeg(bytes)) {
    out.problems.push('no_soi');
    return out;
  }
  let pos = 2;
  const n = bytes.length;
  while (pos < n) {
    // A hostile file can hold millions of tiny segments; real ones have a few dozen.
    if (out.segments.length > MAX_SEGMENTS) {
      out.problems.push('too_many_segments');
      break;
    }
    if (bytes[pos] !== 0xff) {
      out.problems.push('garbage_between_segments');
      const next = bytes.indexOf(0xff, pos);
      if (next < 0) break;
      pos = next;
    }
    // Fill bytes (0xFF 0xFF …) are legal before a marker.
    while (pos + 1 < n && bytes[pos + 1] === 0xff) pos++;
    if (pos + 1 >= n) break;
    const marker = bytes[pos + 1] ?? 0;
    if (marker === EOI) {
      out.eoiEnd = pos + 2;
      break;
    }
    if (marker === SOI || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      // Standalone markers: no length field.
      if (marker === SOI) out.problems.push('nested_soi');
      pos += 2;
      continue;
    }
    if (pos + 4 > n) {
      out.problems.push('truncated_segment');
      break;
    }
    const len = bytes.readUInt16BE(pos + 2);
    if (len < 2 || pos + 2 + len > n) {
      out.problems.push('segment_length_out_of_bounds');
      break;
    }
    out.segments.push({ marker, offset: pos, length: len - 2 });
    if (marker === DQT) readDqt(bytes, pos + 4, pos + 2 + len, out);
    if (SOF_MARKERS.has(marker)) {
      out.frames++;
      if (marker === 0xc2 || marker === 0xc6 || marker === 0xca || marker === 0xce) out.progressive = true;
    }
    pos += 2 + len;
    if (marker === SOS) pos = skipEntropy(bytes, pos);
  }
  if (out.eoiEnd === undefined) out.problems.push('no_eoi');
  else out.trailingBytes = n - out.eoiEnd;
  out.problems = [...new Set(out.problems)];
  return out;
}

/** Returns the offset of the next real marker after entropy-coded data (stuffed 0xFF00 and RSTn are data). */
function skipEntropy(bytes: Buffer, pos: number): number {
  const n = bytes.length;
  let p = pos;
  for (;;) {
    const ff = bytes.indexOf(0xff, p);
    if (ff < 0 || ff + 1 >= n) return n;
    const next = bytes[ff + 1] ?? 0;
    if (next === 0x00 || next === 0xff || (next >= 0xd0 && next <= 0xd7)) {
      p = ff + (next === 0xff ? 1 : 2);
      continue;
    }
    return ff;
  }
}

function readDqt(bytes: Buffer, start: number, end: number, out: JpegStructure): void {
  let p = start;
  while (p < end) {
    const pq = (bytes[p] ?? 0) >> 4;
    const id = (bytes[p] ?? 0) & 0x0f;
    const size = pq === 0 ? 64 : 128;
    if (p + 1 + size > end || pq > 1 || id > 3) {
      out.problems.push('bad_dqt');
      return;
    }
    const values: number[] = new Array<number>(64);
    for (let i = 0; i < 64; i++) values[i] = pq === 0 ? (bytes[p + 1 + i] ?? 0) : bytes.readUInt16BE(p + 1 + 2 * i);
    out.tables.push({ id, precision: pq === 0 ? 8 : 16, values });
    p += 1 + size;
  }
}

/** The standard tables of ITU T.81 Annex K (what libjpeg scales), in zig-zag order. */
const ZIGZAG = [
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49,
  56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];
const STD_LUMA_NATURAL = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62, 18,
  22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];
const STD_CHROMA_NATURAL = [
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99, 99,
  99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
];
export const STD_LUMA = ZIGZAG.map((i) => STD_LUMA_NATURAL[i] ?? 0);
export const STD_CHROMA = ZIGZAG.map((i) => STD_CHROMA_NATURAL[i] ?? 0);

/** libjpeg's jpeg_quality_scaling + jpeg_add_quant_table with force_baseline. */
export function libjpegTable(base: readonly number[], quality: number): number[] {
  const q = Math.min(100, Math.max(1, Math.round(quality)));
  const scale = q < 50 ? Math.floor(5000 / q) : 200 - q * 2;
  return base.map((b) => Math.min(255, Math.max(1, Math.floor((b * scale + 50) / 100))));
}

export interface QualityEstimate {
  /** Quality 1..100 of the closest libjpeg scaling of the standard luma table. */
  quality: number;
  /** True when luma (and chroma, when present) are exactly the libjpeg tables at `quality`. */
  standard: boolean;
}

/** Estimates libjpeg quality; exact when the tables are standard, nearest by log-error otherwise. */
export function estimateQuality(tables: readonly QuantTable[]): QualityEstimate | undefined {
  const luma = tables.find((t) => t.id === 0) ?? tables[0];
  if (!luma) return undefined;
  const chroma = tables.find((t) => t.id === 1);
  let best = 0;
  let bestErr = Infinity;
  for (let q = 1; q <= 100; q++) {
    const ref = libjpegTable(STD_LUMA, q);
    let err = 0;
    for (let i = 0; i < 64; i++) err += Math.abs(Math.log((luma.values[i] ?? 1) / (ref[i] ?? 1)));
    if (err < bestErr) {
      bestErr = err;
      best = q;
    }
  }
  const lumaExact = sameValues(luma.values, libjpegTable(STD_LUMA, best));
  const chromaExact = !chroma || sameValues(chroma.values, libjpegTable(STD_CHROMA, best));
  return { quality: best, standard: lumaExact && chromaExact };
}

function sameValues(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The encoder's marker layout without APPn/COM segments, e.g. "db,c4,c0,da" (one DQT and one DHT before
 * the frame) vs libjpeg's "db,db,c0,c4,c4,c4,c4,da". Camera firmwares have fixed layouts, so a layout
 * that a model never writes means another encoder produced the file.
 */
export function markerLayout(s: JpegStructure): string {
  return s.segments
    .filter((g) => !(g.marker >= 0xe0 && g.marker <= 0xef) && g.marker !== 0xfe)
    .map((g) => g.marker.toString(16))
    .join(',');
}

/** Stable short key for a set of tables: ids and values, order-independent over ids. */
export function tablesKey(tables: readonly QuantTable[]): string {
  const byId = new Map<number, QuantTable>();
  for (const t of tables) byId.set(t.id, t); // the last definition of an id wins, as in a decoder
  return [...byId.values()]
    .sort((a, b) => a.id - b.id)
    .map((t) => `${t.id}:${t.values.join('.')}`)
    .join('|');
}

/** 32-bit FNV-1a of the key, as 8 hex digits: short enough for the signature JSON. */
export function tablesHash(tables: readonly QuantTable[]): string {
  const key = tablesKey(tables);
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
