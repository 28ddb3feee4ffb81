import type { Detector } from '../types.ts';
import { jpegStructure, type JpegStructure } from './jpeg.ts';
import { signal } from './util.ts';

const APP1 = 0xe1;
const APP2 = 0xe2;

function payload(bytes: Buffer, seg: { offset: number; length: number }, n: number): Buffer {
  return bytes.subarray(seg.offset + 4, seg.offset + 4 + Math.min(n, seg.length));
}

/** Checks the TIFF header and IFD0/IFD1 offsets of an APP1 Exif segment; returns what is wrong. */
export function exifOffsetProblems(bytes: Buffer, seg: { offset: number; length: number }): string[] {
  const start = seg.offset + 4 + 6; // after "Exif\0\0"
  const end = seg.offset + 4 + seg.length;
  if (end - start < 8) return ['exif_too_short'];
  const le = bytes[start] === 0x49 && bytes[start + 1] === 0x49;
  const be = bytes[start] === 0x4d && bytes[start + 1] === 0x4d;
  if (!le && !be) return ['exif_bad_byte_order'];
  const u16 = (o: number): number => (le ? bytes.readUInt16LE(o) : bytes.readUInt16BE(o));
  const u32 = (o: number): number => (le ? bytes.readUInt32LE(o) : bytes.readUInt32BE(o));
  if (u16(start + 2) !== 42) return ['exif_bad_magic'];
  const problems: string[] = [];
  let ifd = u32(start + 4);
  const seen = new Set<number>();
  for (let i = 0; i < 2 && ifd !== 0; i++) {
    if (seen.has(ifd)) return [...problems, 'exif_ifd_loop'];
    seen.add(ifd);
    if (start + ifd + 2 > end) return [...problems, 'exif_ifd_offset_out_of_bounds'];
    const count = u16(start + ifd);
    if (start + ifd + 2 + count * 12 + 4 > end) return [...problems, 'exif_ifd_entries_out_of_bounds'];
    ifd = u32(start + ifd + 2 + count * 12);
  }
  return problems;
}

export interface StructureFindings {
  problems: string[];
  exifSegments: number;
  xmpSegments: number;
  sofCount: number;
  trailingBytes: number;
  trailingKind?: string;
  mpf: boolean;
}

export function analyseJpeg(bytes: Buffer, s: JpegStructure): StructureFindings {
  const problems = [...s.problems];
  let exif = 0;
  let xmp = 0;
  let mpf = false;
  for (const seg of s.segments) {
    if (seg.marker === APP1) {
      const head = payload(bytes, seg, 32).toString('latin1');
      if (head.startsWith('Exif\0')) {
        exif++;
        if (exif === 1) problems.push(...exifOffsetProblems(bytes, seg));
      } else if (head.startsWith('http://ns.adobe.com/xap/1.0/\0')) xmp++;
    }
    if (seg.marker === APP2 && payload(bytes, seg, 4).toString('latin1') === 'MPF\0') mpf = true;
  }
  if (exif > 1) problems.push('duplicate_exif_segment');
  if (xmp > 1) problems.push('duplicate_xmp_segment');
  if (s.frames > 1) problems.push('multiple_frames');
  const out: StructureFindings = { problems, exifSegments: exif, xmpSegments: xmp, sofCount: s.frames, trailingBytes: s.trailingBytes, mpf };
  if (s.trailingBytes > 0 && s.eoiEnd !== undefined) out.trailingKind = trailingKind(bytes.subarray(s.eoiEnd));
  return out;
}

/** What the bytes after EOI look like: phones append previews, depth maps, motion-photo videos, vendor trailers. */
function trailingKind(tail: Buffer): string {
  if (tail.length >= 3 && tail[0] === 0xff && tail[1] === 0xd8 && tail[2] === 0xff) return 'jpeg';
  const head = tail.subarray(0, 64).toString('latin1');
  if (/ftyp(mp4|isom|qt|heic|avc)/.test(head)) return 'video';
  if (tail.every((b) => b === 0 || b === 0xff)) return 'padding';
  const end = tail.subarray(Math.max(0, tail.length - 64)).toString('latin1');
  if (/SEFT|SEFH/.test(end) || /SEFH|SEFT/.test(head)) return 'samsung_trailer';
  return 'unknown';
}

export const structureAnomaly: Detector = {
  name: 'meta.structure_anomaly',
  codes: ['meta.structure_anomaly'],
  kinds: ['image'],
  async detect(view) {
    if (view.info.format !== 'jpeg') return [];
    const f = analyseJpeg(view.bytes, jpegStructure(view.bytes));
    const notes: string[] = [...f.problems];
    let severity: 'low' | 'medium' = 'low';
    let score = 0.25;
    // MPF (multi-picture) legitimately stores previews/depth maps after EOI, and so do motion photos.
    const explained = f.mpf || f.trailingKind === 'padding' || f.trailingKind === 'samsung_trailer' || f.trailingKind === 'video';
    if (f.trailingBytes > 0 && !explained) {
      if (f.trailingKind === 'jpeg') {
        notes.push(`a second JPEG (${f.trailingBytes} bytes) hidden after the end of the image`);
        severity = 'medium';
        score = 0.6;
      } else if (f.trailingBytes > 1024) {
        notes.push(`${f.trailingBytes} unexplained bytes after the end of the image`);
        score = 0.35;
      }
    }
    if (f.problems.includes('duplicate_exif_segment') || f.problems.includes('multiple_frames')) {
      // Two EXIF blocks: tools that splice metadata in often leave the old one behind; readers disagree on which counts.
      severity = 'medium';
      score = Math.max(score, 0.5);
    }
    if (notes.length === 0) return [];
    return [signal('meta.structure_anomaly', severity, score, `malformed JPEG structure: ${notes.join(', ')}`, {
      problems: f.problems, trailingBytes: f.trailingBytes, trailingKind: f.trailingKind, exifSegments: f.exifSegments, mpf: f.mpf,
    })];
  },
};
