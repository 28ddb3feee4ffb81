/**
 * Checks of the deep phase: they read ExifTool's deep read (`context.deep`), which the pipeline supplies
 * only when the hot path or the configuration asks for it (src/pipeline/deep.ts).
 *
 * `-AllDates` and most editors rewrite the three EXIF dates together, so the EXIF clock agrees with itself.
 * Other copies of the capture time usually survive: the maker note's own timestamp (Samsung TimeStamp,
 * Olympus PictureInfo, Kodak YearCreated/MonthDayCreated, Sony/Canon CIFF dates), the thumbnail IFD's date,
 * and XMP/IPTC creation dates. A copy more than a day away from DateTimeOriginal means one of them was
 * rewritten.
 */
import type { DeepMetadata } from '../../media/deep-metadata.ts';
import type { Detector, Signal } from '../types.ts';
import { signal } from './util.ts';

const DAY = 86_400_000;
/** Zone-less clocks may legitimately differ by up to a day and a half of zone offsets; beyond that, not. */
const TOLERANCE_MS = 26 * 3_600_000;

/** Groups ExifTool names for the main EXIF dates and for things that are not capture records. */
const NOT_A_COPY = /^(IFD0|ExifIFD|GPS|InteropIFD|Composite|File|MWG|System|ExifTool|ICC.*|Photoshop|XMP-xmpMM|XMP-crs|XMP-tiff)$/;
const CAPTURE_TAG = /^(DateTimeOriginal|CreateDate|DateCreated|DateTimeCreated|TimeStamp|SonyDateTime|DateTime)$/;
const DATE_TIME = /^(\d{4}):(\d{2}):(\d{2})(?: (\d{2}):(\d{2})(?::(\d{2}))?)?/;

interface Stamp {
  source: string;
  wallMs: number;
  dateOnly: boolean;
}

function parse(value: unknown): { wallMs: number; dateOnly: boolean } | undefined {
  if (typeof value !== 'string') return undefined;
  const m = DATE_TIME.exec(value.trim());
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // Firmwares write 0000:00:00 or 1970/1980 defaults when the clock was never set.
  if (y < 1990 || mo < 1 || mo > 12 || d < 1 || d > 31) return undefined;
  const wallMs = Date.UTC(y, mo - 1, d, Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0));
  return Number.isFinite(wallMs) ? { wallMs, dateOnly: m[4] === undefined } : undefined;
}

/** Capture-time copies outside the main EXIF IFDs. */
export function captureCopies(deep: DeepMetadata): Stamp[] {
  const out: Stamp[] = [];
  for (const [group, tags] of Object.entries(deep.groups)) {
    if (NOT_A_COPY.test(group)) continue;
    for (const [tag, value] of Object.entries(tags)) {
      // IFD1 is the thumbnail's IFD: its date is the camera's, written at the same time as IFD0's.
      if (!CAPTURE_TAG.test(tag) && !(group === 'IFD1' && tag === 'ModifyDate')) continue;
      const p = parse(value);
      if (p) out.push({ source: `${group}:${tag}`, ...p });
    }
  }
  // Kodak maker notes split the date over three tags.
  const kodak = deep.groups['Kodak'];
  const year = kodak?.['YearCreated'];
  const md = kodak?.['MonthDayCreated'];
  if ((typeof year === 'number' || typeof year === 'string') && typeof md === 'string') {
    const p = parse(`${year}:${md} ${typeof kodak?.['TimeCreated'] === 'string' ? String(kodak['TimeCreated']).slice(0, 8) : ''}`.trim());
    if (p) out.push({ source: 'Kodak:YearCreated+MonthDayCreated', ...p });
  }
  return out;
}

export const deepDates: Detector = {
  name: 'meta.deep_dates',
  codes: ['meta.date_inconsistent'],
  kinds: ['image'],
  async detect(_view, ctx) {
    const deep = ctx.deep;
    if (!deep || deep.error) return [];
    const exif = parse(deep.groups['ExifIFD']?.['DateTimeOriginal']) ?? parse(deep.groups['ExifIFD']?.['CreateDate']);
    if (!exif) return [];
    const far = captureCopies(deep).filter((c) => {
      const gap = Math.abs(c.wallMs - exif.wallMs);
      return c.dateOnly ? gap >= 2 * DAY : gap > TOLERANCE_MS;
    });
    if (far.length === 0) return [];
    const worst = far.reduce((a, b) => (Math.abs(b.wallMs - exif.wallMs) > Math.abs(a.wallMs - exif.wallMs) ? b : a));
    const days = Math.round(Math.abs(worst.wallMs - exif.wallMs) / DAY);
    const evidence = { dateTimeOriginal: new Date(exif.wallMs).toISOString().slice(0, 19), copies: far.map((c) => ({ source: c.source, at: new Date(c.wallMs).toISOString().slice(0, c.dateOnly ? 10 : 19) })) };
    return [signal('meta.date_inconsistent', 'medium', 0.65, `DateTimeOriginal is ${days} days from the capture time kept in ${worst.source}: the EXIF dates were rewritten`, evidence)];
  },
};

/** The deep read itself, as evidence for the review console: all metadata, grouped. */
export const deepRecord: Detector = {
  name: 'meta.deep_read',
  codes: ['meta.deep_read'],
  kinds: ['image', 'video'],
  async detect(_view, ctx) {
    const deep = ctx.deep;
    if (!deep) return [];
    const s: Signal = signal('meta.deep_read', 'info', 0, deep.error ? `ExifTool deep read failed: ${deep.error}` : `ExifTool deep read: ${Object.keys(deep.groups).length} groups, ${deep.warnings.length} warnings`, {
      groups: deep.groups, embedded: deep.embedded, warnings: deep.warnings, quantization: deep.quantization, ms: deep.ms, ...(deep.error ? { error: deep.error } : {}),
    });
    return [s];
  },
};
