import type { MediaView } from '../../media/types.ts';
import { jpegStructure, markerLayout, tablesHash } from '../meta/jpeg.ts';
import { cameraKey, cameraSignature } from '../meta/qtables.ts';
import { softwareHits } from '../meta/software.ts';
import { num, str } from '../meta/util.ts';

/**
 * Camera-native evidence: file structure a camera or phone writes and the usual way of passing off a
 * generated picture (convert it with Pillow, ImageMagick or an editor, then copy a camera's EXIF
 * in with exiftool) does not. It is not proof of capture: every byte can be forged by someone who
 * knows what to forge. It only decides whether the weak pixel classifier alone may send a file to
 * review (pixel-scorer.ts); provenance, generator metadata and watermarks are never discounted.
 *
 * JPEG: EXIF with capture fields; the EXIF APP1 segment right after SOI, as the Exif/DCF standard
 * asks of cameras (libjpeg-based converters write a JFIF APP0 first, and exiftool keeps it first);
 * quantization tables, marker layout and set of APPn segment types that match the signature of the
 * EXIF's make and model in meta/qtables.json; no editing software named.
 * HEIF: EXIF with capture fields; the primary image a grid of HEVC tiles plus an Exif item (phone
 * camera pipelines encode tiles in hardware; libheif-based converters write one coded image unless
 * asked to tile); no editing software named. Other formats have no check.
 *
 * What gets through: EXIF spliced in as raw bytes in front of an encoder's output at the camera's own
 * tables (easy for a camera that uses libjpeg's tables and writes EXIF alone: sharp with withExif at its
 * quality), and a tiled HEIF written with libheif's API plus copied EXIF.
 */
export interface CameraNativeEvidence {
  /** Every check of the file's format passed. */
  native: boolean;
  /** Checks that passed, reviewer-readable. */
  found: string[];
  /** Checks that failed; empty when native. */
  missing: string[];
}

export async function cameraNativeEvidence(view: MediaView): Promise<CameraNativeEvidence> {
  const heif = view.info.format === 'heic' || view.info.format === 'heif';
  if (view.info.format !== 'jpeg' && !heif) {
    return { native: false, found: [], missing: [`no camera-native check for ${view.info.format}`] };
  }
  const meta = await view.metadata();
  const checks: Array<[boolean, string, string]> = [];
  // A camera maker's transfer tool (Nikon Transfer, CAMEDIA Master) copies files off the card; it is no editor.
  const editors = softwareHits(meta).filter((hit) => hit.name !== 'camera transfer tool');
  checks.push([editors.length === 0, 'no editing software named', `saved by ${editors[0]?.raw ?? ''}`]);
  const make = str(meta, 'Make');
  const model = str(meta, 'Model');
  const camera = `${make ?? ''} ${model ?? ''}`.trim();
  const exposure = num(meta, 'ExposureTime', 'FNumber') !== undefined;
  if (view.info.format === 'jpeg') {
    const captured = exposure && make !== undefined && model !== undefined && meta['DateTimeOriginal'] !== undefined;
    checks.push([captured, `capture EXIF of a ${camera}`, 'no capture EXIF (make, model, DateTimeOriginal, exposure)']);
    checks.push(...jpegChecks(view.bytes, make, model, camera));
  } else {
    const dated = ['DateTimeOriginal', 'CreateDate', 'ModifyDate'].some((k) => meta[k] !== undefined);
    const captured = exposure && num(meta, 'ISO', 'ISOSpeedRatings') !== undefined && dated;
    checks.push([captured, `capture EXIF${camera ? ` of a ${camera}` : ''} (exposure, ISO, date)`, 'no capture EXIF (exposure, ISO, date)']);
    const items = heifItems(view.bytes);
    const tiled = items.primary === 'grid' && items.types.includes('hvc1') && items.types.includes('Exif');
    checks.push([tiled, 'HEVC tile grid with an Exif item, as phone cameras write', `primary item ${items.primary ?? 'unknown'}, not a tile grid with an Exif item`]);
  }
  const missing = checks.filter(([ok]) => !ok).map(([, , why]) => why);
  return { native: missing.length === 0, found: checks.filter(([ok]) => ok).map(([, what]) => what), missing };
}

function jpegChecks(bytes: Buffer, make: string | undefined, model: string | undefined, camera: string): Array<[boolean, string, string]> {
  const s = jpegStructure(bytes);
  const first = s.segments[0];
  const exifFirst = first !== undefined && first.marker === 0xe1 && bytes.toString('latin1', first.offset + 4, first.offset + 10) === 'Exif\0\0';
  const signature = cameraSignature(cameraKey(make, model));
  const hash = s.tables.length > 0 ? tablesHash(s.tables) : '';
  const layout = markerLayout(s);
  const appTypes = new Set(s.segments.filter((g) => g.marker >= 0xe0 && g.marker <= 0xef).map((g) => g.marker.toString(16)));
  // The same APPn types as the model's originals, no more and no fewer: sharp re-encodes a phone JPEG with
  // the EXIF first and no JFIF, so for a phone that uses libjpeg's tables a missing JFIF is what differs.
  const sameApps = signature !== undefined && appTypes.size === signature.appTypes.length && signature.appTypes.every((t) => appTypes.has(t));
  const signed = signature !== undefined && signature.tables.includes(hash) && signature.layouts.includes(layout) && sameApps;
  const why = !signature
    ? `no quantization signature known for ${camera || 'this camera'}`
    : !sameApps
      ? `APPn segments (${[...appTypes].join(', ')}) differ from those a ${camera} writes (${signature.appTypes.join(', ')})`
      : `quantization tables or marker layout (${hash}, ${layout}) not those of a ${camera}`;
  return [
    [exifFirst, 'EXIF APP1 right after SOI (Exif/DCF layout)', 'EXIF is not the first segment (a JFIF or other segment precedes it, as converters write)'],
    [signed, `quantization tables ${hash} and layout of a ${camera} (meta/qtables.json)`, why],
  ];
}

/** Item types of a HEIF file and the primary item's type, from the top-level meta box (pitm, iinf). */
export function heifItems(bytes: Buffer): { primary: string | undefined; types: string[] } {
  const meta = childBoxes(bytes, 0, bytes.length).find((b) => b.type === 'meta');
  if (!meta) return { primary: undefined, types: [] };
  // meta, pitm, iinf and infe are FullBoxes: version (1 byte) and flags (3 bytes) come first.
  const children = childBoxes(bytes, meta.start + 4, meta.end);
  const pitm = children.find((b) => b.type === 'pitm');
  const primaryId = pitm ? (bytes[pitm.start] === 0 ? readUint(bytes, pitm.start + 4, 2) : readUint(bytes, pitm.start + 4, 4)) : undefined;
  const iinf = children.find((b) => b.type === 'iinf');
  const byId = new Map<number, string>();
  if (iinf) {
    const entriesAt = iinf.start + (bytes[iinf.start] === 0 ? 6 : 8);
    for (const infe of childBoxes(bytes, entriesAt, iinf.end)) {
      const version = bytes[infe.start] ?? 0;
      if (infe.type !== 'infe' || version < 2) continue;
      const idBytes = version === 2 ? 2 : 4;
      const id = readUint(bytes, infe.start + 4, idBytes);
      const typeAt = infe.start + 4 + idBytes + 2;
      if (id !== undefined && typeAt + 4 <= infe.end) byId.set(id, bytes.toString('latin1', typeAt, typeAt + 4));
    }
  }
  return { primary: primaryId === undefined ? undefined : byId.get(primaryId), types: [...new Set(byId.values())] };
}

interface Box {
  type: string;
  /** Offset of the payload (after size, type and any 64-bit size). */
  start: number;
  end: number;
}

function childBoxes(bytes: Buffer, from: number, to: number): Box[] {
  const out: Box[] = [];
  let at = from;
  while (at + 8 <= to && out.length < 4096) {
    let size = bytes.readUInt32BE(at);
    let header = 8;
    if (size === 1) {
      if (at + 16 > to) break;
      size = Number(bytes.readBigUInt64BE(at + 8));
      header = 16;
    } else if (size === 0) size = to - at;
    if (size < header || at + size > to) break;
    out.push({ type: bytes.toString('latin1', at + 4, at + 8), start: at + header, end: at + size });
    at += size;
  }
  return out;
}

function readUint(bytes: Buffer, at: number, length: 2 | 4): number | undefined {
  if (at + length > bytes.length) return undefined;
  return length === 2 ? bytes.readUInt16BE(at) : bytes.readUInt32BE(at);
}
