import type { Detector } from '../types.ts';
import { jpegStructure } from './jpeg.ts';
import { num, signal, str } from './util.ts';

/**
 * The maker note is a vendor's private block; most vendors start it with their name. Editing Make/Model
 * (ExifTool, "EXIF editor" apps) leaves it untouched, so a Nikon maker note under `Make: Apple` betrays a swap.
 * exifr on the hot path does not return maker notes, so we find the tag ourselves in the APP1 TIFF.
 */
const MAKERNOTE_VENDORS: readonly [string, string][] = [
  ['Nikon\0', 'nikon'], ['OLYMP', 'olympus'], ['OM SYSTEM', 'olympus'], ['FUJIFILM', 'fujifilm'], ['Apple iOS', 'apple'],
  ['Panasonic', 'panasonic'], ['SONY', 'sony'], ['AOC\0', 'pentax'], ['PENTAX', 'pentax'], ['QVC\0', 'casio'],
  ['CASIO', 'casio'], ['RICOH', 'ricoh'], ['Ricoh', 'ricoh'], ['SANYO', 'sanyo'], ['SIGMA', 'sigma'], ['LEICA', 'leica'],
  ['KDK', 'kodak'], ['HUAWEI', 'huawei'],
];

const MAKE_BRANDS: readonly [RegExp, string][] = [
  [/nikon/i, 'nikon'], [/olympus|om digital/i, 'olympus'], [/fuji/i, 'fujifilm'], [/apple/i, 'apple'],
  [/panasonic/i, 'panasonic'], [/sony/i, 'sony'], [/pentax|asahi|ricoh imaging/i, 'pentax'], [/casio/i, 'casio'],
  [/ricoh/i, 'ricoh'], [/sanyo/i, 'sanyo'], [/sigma/i, 'sigma'], [/leica/i, 'leica'], [/kodak/i, 'kodak'],
  [/huawei|honor/i, 'huawei'], [/canon/i, 'canon'], [/samsung/i, 'samsung'], [/google/i, 'google'],
];

/** Rebadged cameras that legitimately carry another vendor's maker note. */
const COMPATIBLE = new Set(['leica:panasonic', 'panasonic:leica', 'pentax:ricoh', 'ricoh:pentax', 'kodak:sanyo', 'sanyo:kodak']);

export function brandOfMake(make: string | undefined): string | undefined {
  if (!make) return undefined;
  return MAKE_BRANDS.find(([re]) => re.test(make))?.[1];
}

/** First bytes of the EXIF MakerNote (tag 0x927C in the Exif sub-IFD) of a JPEG, if any. */
export function makerNoteHead(bytes: Buffer): string | undefined {
  const seg = jpegStructure(bytes).segments.find(
    (s) => s.marker === 0xe1 && bytes.subarray(s.offset + 4, s.offset + 10).toString('latin1') === 'Exif\0\0',
  );
  if (!seg) return undefined;
  const start = seg.offset + 10;
  const end = seg.offset + 4 + seg.length;
  if (end - start < 8) return undefined;
  const le = bytes[start] === 0x49;
  const u16 = (o: number): number => (o + 2 <= end ? (le ? bytes.readUInt16LE(o) : bytes.readUInt16BE(o)) : 0);
  const u32 = (o: number): number => (o + 4 <= end ? (le ? bytes.readUInt32LE(o) : bytes.readUInt32BE(o)) : 0);
  const findTag = (ifd: number, tag: number): { count: number; value: number } | undefined => {
    if (ifd <= 0 || start + ifd + 2 > end) return undefined;
    const n = Math.min(u16(start + ifd), 512);
    for (let i = 0; i < n; i++) {
      const e = start + ifd + 2 + i * 12;
      if (e + 12 > end) return undefined;
      if (u16(e) === tag) return { count: u32(e + 4), value: u32(e + 8) };
    }
    return undefined;
  };
  const exifIfd = findTag(u32(start + 4), 0x8769);
  if (!exifIfd) return undefined;
  const mn = findTag(exifIfd.value, 0x927c);
  if (!mn || mn.count < 8 || start + mn.value + 12 > end) return undefined;
  return bytes.subarray(start + mn.value, start + mn.value + 12).toString('latin1');
}

export function makerNoteVendor(head: string | undefined): string | undefined {
  if (!head) return undefined;
  return MAKERNOTE_VENDORS.find(([sig]) => head.startsWith(sig))?.[1];
}

export const exifInconsistent: Detector = {
  name: 'meta.exif_inconsistent',
  codes: ['meta.exif_inconsistent'],
  kinds: ['image'],
  async detect(view) {
    const meta = await view.metadata();
    const make = str(meta, 'Make');
    const brand = brandOfMake(make);
    const findings: { what: string; severity: 'low' | 'medium' | 'high'; score: number }[] = [];
    if (view.info.format === 'jpeg' && brand) {
      const vendor = makerNoteVendor(makerNoteHead(view.bytes));
      if (vendor && vendor !== brand && !COMPATIBLE.has(`${brand}:${vendor}`)) {
        const apple = vendor === 'apple' || brand === 'apple';
        findings.push({ what: `maker note written by a ${vendor} camera, but Make says ${make}`, severity: apple ? 'high' : 'medium', score: apple ? 0.85 : 0.7 });
      }
    }
    const lens = str(meta, 'LensModel', 'LensMake');
    if (lens && /iphone|ipad/i.test(lens) && make && brand !== 'apple') {
      findings.push({ what: `lens "${lens}" belongs to an iPhone, but Make says ${make}`, severity: 'high', score: 0.8 });
    } else if (lens && brand === 'apple' && !/apple|iphone|ipad/i.test(lens) && /nikkor|canon|ef-?s?\s|fe \d|sony|sigma|tamron|zuiko|xf\d/i.test(lens)) {
      findings.push({ what: `interchangeable lens "${lens}" on an Apple device`, severity: 'high', score: 0.8 });
    }
    const ew = num(meta, 'ExifImageWidth');
    const eh = num(meta, 'ExifImageHeight');
    const { width, height } = view.info;
    if (ew && eh && width && height && ew > 1 && eh > 1) {
      const [a1, a2] = [Math.max(ew, eh), Math.min(ew, eh)];
      const [b1, b2] = [Math.max(width, height), Math.min(width, height)];
      if (a1 !== b1 || a2 !== b2) {
        const sameAspect = Math.abs(a1 / a2 - b1 / b2) < 0.02;
        // Editors that resize usually rewrite these tags; a stale pair says pixels changed behind the EXIF.
        findings.push(sameAspect
          ? { what: `EXIF says ${ew}×${eh} but the image is ${width}×${height} (resized after capture)`, severity: 'low', score: 0.3 }
          : { what: `EXIF says ${ew}×${eh} but the image is ${width}×${height} (cropped or replaced)`, severity: 'medium', score: 0.55 });
      }
    }
    if (findings.length === 0) return [];
    findings.sort((a, b) => b.score - a.score);
    const top = findings[0]!;
    return [signal('meta.exif_inconsistent', top.severity, top.score, findings.map((f) => f.what).join('; '), {
      make, findings: findings.map((f) => f.what), exifSize: ew && eh ? [ew, eh] : undefined, size: [width, height],
    })];
  },
};
