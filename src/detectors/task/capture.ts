import type { MediaMetadata } from '../../media/types.ts';

/**
 * When and where an upload says it was captured. Images: EXIF (as exifr revives it). Videos: the
 * container tags ffprobe reports (QuickTime `creationdate`/`ISO6709`, generic `creation_time`/`location`).
 */

/** Widest zone offsets in use: an EXIF time without an offset can mean any instant in this window. */
const EARLIEST_ZONE_MIN = -12 * 60;
const LATEST_ZONE_MIN = 14 * 60;

export interface CaptureTime {
  /** The earliest and latest real instant the recorded time can stand for (equal when the zone is known). */
  earliest: Date;
  latest: Date;
  source: string;
  /** As written, for the reviewer. */
  raw: string;
}

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function parseOffsetMin(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(v.trim());
  if (!m) return v.trim() === 'Z' ? 0 : undefined;
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  return m[1] === '-' ? -minutes : minutes;
}

const WALL = /^(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?$/;

/** A wall-clock time as milliseconds "as if UTC", plus its offset when the value states one. */
function wallTime(v: unknown): { wallMs: number; offsetMin?: number; raw: string } | undefined {
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) return undefined;
    // exifr builds EXIF dates in the process's zone, so the local getters give back the wall clock.
    const wallMs = Date.UTC(v.getFullYear(), v.getMonth(), v.getDate(), v.getHours(), v.getMinutes(), v.getSeconds());
    return { wallMs, raw: new Date(wallMs).toISOString().slice(0, 19).replace('T', ' ') };
  }
  if (typeof v !== 'string') return undefined;
  const m = WALL.exec(v.trim());
  if (!m) return undefined;
  const year = Number(m[1]);
  // Zeroed dates ("0000:00:00 00:00:00") are how firmwares say "unset".
  if (year < 1900) return undefined;
  const wallMs = Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  const offsetMin = parseOffsetMin(m[7]);
  return offsetMin === undefined ? { wallMs, raw: v.trim() } : { wallMs, offsetMin, raw: v.trim() };
}

function toCapture(wall: { wallMs: number; offsetMin?: number; raw: string }, source: string): CaptureTime {
  if (wall.offsetMin !== undefined) {
    const at = new Date(wall.wallMs - wall.offsetMin * 60_000);
    return { earliest: at, latest: at, source, raw: wall.raw };
  }
  return {
    earliest: new Date(wall.wallMs - LATEST_ZONE_MIN * 60_000),
    latest: new Date(wall.wallMs - EARLIEST_ZONE_MIN * 60_000),
    source,
    raw: wall.raw,
  };
}

function containerTags(meta: MediaMetadata): Record<string, string> | undefined {
  const container = record(meta['container']);
  if (!container) return undefined;
  const out: Record<string, string> = {};
  const streams = Array.isArray(container['streams']) ? container['streams'] : [];
  // Format tags win over stream tags: they describe the whole recording.
  for (const source of [...streams.map((s) => record(record(s)?.['tags'])), record(container['tags'])]) {
    for (const [k, v] of Object.entries(source ?? {})) if (typeof v === 'string') out[k.toLowerCase()] = v;
  }
  return out;
}

export function captureTimeOf(meta: MediaMetadata): CaptureTime | undefined {
  const tags = containerTags(meta);
  if (tags) {
    // QuickTime's creationdate carries the zone the phone was in; creation_time is UTC by convention.
    const qt = tags['com.apple.quicktime.creationdate'];
    const qtWall = qt ? wallTime(qt) : undefined;
    if (qtWall) return toCapture(qtWall, 'com.apple.quicktime.creationdate');
    const created = tags['creation_time'];
    if (created) {
      const at = new Date(created);
      // Muxers write 1904-01-01 / 1970-01-01 when they have no clock value.
      if (!Number.isNaN(at.getTime()) && at.getUTCFullYear() > 1971) return { earliest: at, latest: at, source: 'creation_time', raw: created };
    }
    return undefined;
  }
  for (const [tag, offsetTag] of [['DateTimeOriginal', 'OffsetTimeOriginal'], ['CreateDate', 'OffsetTimeDigitized']] as const) {
    const wall = wallTime(meta[tag]);
    if (!wall) continue;
    const offsetMin = wall.offsetMin ?? parseOffsetMin(meta[offsetTag]) ?? parseOffsetMin(meta['OffsetTime']);
    return toCapture(offsetMin === undefined ? wall : { ...wall, offsetMin }, tag);
  }
  return gpsCaptureTime(meta);
}

/** GPS time is UTC from the satellites: a fallback when the camera wrote no capture date. */
function gpsCaptureTime(meta: MediaMetadata): CaptureTime | undefined {
  const time = meta['GPSTimeStamp'];
  const date = meta['GPSDateStamp'];
  let raw: string | undefined;
  if (typeof time === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(time)) raw = time;
  else if (typeof date === 'string' && typeof time === 'string') {
    const d = /^(\d{4})[:-](\d{2})[:-](\d{2})$/.exec(date.trim());
    const t = /^(\d{1,2}):(\d{1,2}):(\d{1,2})/.exec(time.trim());
    if (d && t) raw = `${d[1]}-${d[2]}-${d[3]}T${t[1]!.padStart(2, '0')}:${t[2]!.padStart(2, '0')}:${t[3]!.padStart(2, '0')}Z`;
  }
  if (!raw) return undefined;
  const at = new Date(/Z|[+-]\d{2}:?\d{2}$/.test(raw) ? raw : `${raw}Z`);
  if (Number.isNaN(at.getTime()) || at.getUTCFullYear() < 1990) return undefined;
  return { earliest: at, latest: at, source: 'GPS time', raw };
}

export interface CaptureLocation {
  lat: number;
  lon: number;
  source: string;
}

/** ISO 6709 as phones write it: "+48.8577+002.2950+035.000/". */
export function parseIso6709(value: string): { lat: number; lon: number } | undefined {
  const m = /^([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)/.exec(value.trim());
  if (!m) return undefined;
  const lat = Number(m[1]);
  const lon = Number(m[2]);
  return Number.isFinite(lat) && Number.isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180 ? { lat, lon } : undefined;
}

export function captureLocationOf(meta: MediaMetadata): CaptureLocation | undefined {
  const tags = containerTags(meta);
  if (tags) {
    for (const key of ['com.apple.quicktime.location.iso6709', 'location', 'location-eng']) {
      const value = tags[key];
      const at = value ? parseIso6709(value) : undefined;
      if (at) return { ...at, source: key };
    }
    return undefined;
  }
  const lat = meta['latitude'];
  const lon = meta['longitude'];
  if (typeof lat !== 'number' || typeof lon !== 'number' || !Number.isFinite(lat) || !Number.isFinite(lon)) return undefined;
  // 0,0 ("null island") is what a phone writes when it had no fix.
  if (Math.abs(lat) > 90 || Math.abs(lon) > 180 || (lat === 0 && lon === 0)) return undefined;
  return { lat, lon, source: 'EXIF GPS' };
}

const EARTH_RADIUS_KM = 6371.0088;

/** Great-circle distance; exact enough for radii from tens of metres to thousands of kilometres. */
export function haversineKm(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}
