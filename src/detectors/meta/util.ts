import type { MediaMetadata } from '../../media/types.ts';
import type { Severity, Signal } from '../types.ts';

/** First non-empty string among the keys (exifr merges EXIF, XMP and IPTC into one object). */
export function str(meta: MediaMetadata, ...keys: string[]): string | undefined {
  for (const k of keys) {
    const v = meta[k];
    if (typeof v === 'string') {
      // Some firmwares pad with NULs or spaces; an empty tag says nothing.
      const t = v.replace(/\0/g, '').trim();
      if (t) return t;
    }
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  }
  return undefined;
}

export function num(meta: MediaMetadata, ...keys: string[]): number | undefined {
  for (const k of keys) {
    const v = meta[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  }
  return undefined;
}

export function signal(
  code: string,
  severity: Severity,
  score: number,
  message: string,
  evidence?: Record<string, unknown>,
): Signal {
  const s: Signal = { code, severity, score: Math.round(Math.min(1, Math.max(0, score)) * 100) / 100, message };
  if (evidence) s.evidence = evidence;
  return s;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A timestamp as written in the file. EXIF dates are wall-clock times without a zone, so we keep the
 * wall clock (`wallMs`, as if it were UTC) and the zone offset only when the file states it.
 */
export interface WallTime {
  wallMs: number;
  /** Minutes east of UTC, when known (OffsetTime* tags, XMP dates, GPS = 0). */
  offsetMin?: number;
}

/** Widest zone offsets in use (UTC−12 … UTC+14) — the uncertainty of a zone-less EXIF date. */
export const MIN_OFFSET_MIN = -12 * 60;
export const MAX_OFFSET_MIN = 14 * 60;
const H = 3_600_000;
export const HOUR_MS = H;

/** Parses an offset like "+02:00" / "-0530" / "Z" into minutes. */
export function parseOffset(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  if (t === 'Z') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(t);
  if (!m) return undefined;
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  return m[1] === '-' ? -minutes : minutes;
}

const EXIF_DATE = /^(\d{4})[:-](\d{2})[:-](\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Reads a date value as exifr leaves it: a Date (EXIF; exifr built it in the process's local zone, so
 * the local getters give back the wall clock), or a string (XMP/IPTC, sometimes with an offset).
 */
export function parseWallTime(v: unknown): WallTime | undefined {
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) return undefined;
    const wallMs = Date.UTC(
      v.getFullYear(), v.getMonth(), v.getDate(), v.getHours(), v.getMinutes(), v.getSeconds(), v.getMilliseconds(),
    );
    return { wallMs };
  }
  if (typeof v !== 'string') return undefined;
  const m = EXIF_DATE.exec(v.trim());
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // Zeroed dates ("0000:00:00 00:00:00") are how firmwares say "unset".
  if (y < 1900 || mo < 1 || mo > 12 || d < 1 || d > 31) return undefined;
  const frac = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
  const wallMs = Date.UTC(y, mo - 1, d, Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), frac);
  const offsetMin = m[8] ? parseOffset(m[8]) : undefined;
  return offsetMin === undefined ? { wallMs } : { wallMs, offsetMin };
}

/** Earliest and latest real instant a wall time can stand for. */
export function instantRange(t: WallTime): { earliest: number; latest: number } {
  if (t.offsetMin !== undefined) {
    const at = t.wallMs - t.offsetMin * 60_000;
    return { earliest: at, latest: at };
  }
  return { earliest: t.wallMs - MAX_OFFSET_MIN * 60_000, latest: t.wallMs - MIN_OFFSET_MIN * 60_000 };
}

/** GPSDateStamp + GPSTimeStamp (always UTC). exifr leaves them as "2008:10:23" and "14:27:7.24". */
export function gpsTime(meta: MediaMetadata): WallTime | undefined {
  const date = meta['GPSDateStamp'];
  const time = meta['GPSTimeStamp'];
  if (typeof date !== 'string') return undefined;
  const dm = /^(\d{4})[:-](\d{2})[:-](\d{2})/.exec(date.trim());
  if (!dm) return undefined;
  let h = 0;
  let mi = 0;
  let s = 0;
  if (typeof time === 'string') {
    const tm = /^(\d{1,2}):(\d{1,2}):(\d{1,2}(?:\.\d+)?)/.exec(time.trim());
    if (!tm) return undefined;
    [h, mi, s] = [Number(tm[1]), Number(tm[2]), Number(tm[3])];
  } else if (Array.isArray(time) && time.length === 3) {
    [h, mi, s] = time.map((x) => Number(x)) as [number, number, number];
  } else {
    return undefined;
  }
  if (h > 24 || mi > 59 || s >= 61) return undefined;
  const y = Number(dm[1]);
  if (y < 1900) return undefined;
  return { wallMs: Date.UTC(y, Number(dm[2]) - 1, Number(dm[3]), h, mi, 0, s * 1000), offsetMin: 0 };
}

/** The capture time: DateTimeOriginal, else CreateDate (DateTimeDigitized), with its offset when stated. */
export function captureTime(meta: MediaMetadata): (WallTime & { tag: string }) | undefined {
  const pairs: [string, string][] = [
    ['DateTimeOriginal', 'OffsetTimeOriginal'],
    ['CreateDate', 'OffsetTimeDigitized'],
    ['DateCreated', ''],
  ];
  for (const [tag, offTag] of pairs) {
    const t = parseWallTime(meta[tag]);
    if (!t) continue;
    const off = t.offsetMin ?? parseOffset(meta[offTag]) ?? parseOffset(meta['OffsetTime']);
    return off === undefined ? { ...t, tag } : { ...t, offsetMin: off, tag };
  }
  return undefined;
}

export function fmtWall(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

export function fmtDuration(ms: number): string {
  const a = Math.abs(ms);
  if (a < 2 * 60_000) return `${Math.round(a / 1000)} s`;
  if (a < 2 * H) return `${Math.round(a / 60_000)} min`;
  if (a < 72 * H) return `${Math.round(a / H)} h`;
  if (a < 730 * 24 * H) return `${Math.round(a / (24 * H))} days`;
  return `${(a / (365.25 * 24 * H)).toFixed(1)} years`;
}

/** Camera fields that an untouched capture almost always carries. */
export const CAMERA_TAGS = [
  'Make', 'Model', 'DateTimeOriginal', 'CreateDate', 'ExposureTime', 'FNumber', 'ISO', 'FocalLength',
  'LensModel', 'makerNote', 'MakerNote',
] as const;

export function cameraTagCount(meta: MediaMetadata): number {
  return CAMERA_TAGS.filter((k) => meta[k] !== undefined && meta[k] !== null && meta[k] !== '').length;
}

/** Container metadata of a video (ffprobe-style), wherever the media module puts it. */
export interface ContainerTags {
  format: Record<string, string>;
  streams: Record<string, string>[];
  handlers: string[];
}

function tagsOf(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(v)) return out;
  for (const [k, x] of Object.entries(v)) if (typeof x === 'string' || typeof x === 'number') out[k.toLowerCase()] = String(x);
  return out;
}

/**
 * Accepts what the media module exposes for videos, `{ container: { format: "mov,mp4,…", tags, streams: [{ tags }] } }`,
 * and the bare ffprobe shape `{ format: { tags }, streams: [{ tags }] }`; returns undefined for stills.
 */
export function containerTags(meta: MediaMetadata): ContainerTags | undefined {
  const inContainer = isRecord(meta['container']);
  const root = inContainer ? (meta['container'] as Record<string, unknown>) : meta;
  const format = root['format'];
  const streams = root['streams'];
  if (!inContainer && !isRecord(format)) return undefined;
  const f = { ...(isRecord(format) ? tagsOf(format['tags']) : {}), ...tagsOf(root['tags']) };
  const s = Array.isArray(streams) ? streams.filter(isRecord).map((x) => tagsOf(x['tags'])) : [];
  const handlers = s.map((t) => t['handler_name'] ?? '').filter((h) => h !== '');
  return { format: f, streams: s, handlers };
}
