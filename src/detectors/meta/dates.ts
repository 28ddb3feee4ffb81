import type { Detector, Signal } from '../types.ts';
import {
  captureTime, fmtDuration, fmtWall, gpsTime, HOUR_MS, instantRange, MAX_OFFSET_MIN, MIN_OFFSET_MIN, parseOffset,
  parseWallTime, signal, type WallTime,
} from './util.ts';

const MIN = 60_000;
/** Cameras write DateTimeOriginal and CreateDate in the same instant; a few seconds covers slow writes. */
const SAME_SHOT_TOLERANCE = 2 * MIN;
/** Clock drift plus the time a GPS fix may lag the shutter. */
const GPS_TOLERANCE = 15 * MIN;

export const dateInconsistent: Detector = {
  name: 'meta.date_inconsistent',
  codes: ['meta.date_inconsistent'],
  kinds: ['image', 'video'],
  async detect(view, ctx) {
    const meta = await view.metadata();
    const original = parseWallTime(meta['DateTimeOriginal']);
    const digitized = parseWallTime(meta['CreateDate']);
    const modified = parseWallTime(meta['ModifyDate']);
    const capture = captureTime(meta);
    const gps = gpsTime(meta);
    const findings: { what: string; severity: 'low' | 'medium'; score: number }[] = [];

    if (original && digitized && original.offsetMin === undefined && digitized.offsetMin === undefined) {
      const d = original.wallMs - digitized.wallMs;
      // Scanners legitimately digitize long after the original shot; only the reverse is impossible.
      if (d > SAME_SHOT_TOLERANCE) findings.push({ what: `DateTimeOriginal is ${fmtDuration(d)} after CreateDate`, severity: 'medium', score: 0.65 });
      else if (d < -SAME_SHOT_TOLERANCE) {
        const scanned = /film|scan|reflection|transparent/i.test(String(meta['FileSource'] ?? ''));
        if (!scanned) findings.push({ what: `DateTimeOriginal is ${fmtDuration(d)} before CreateDate`, severity: 'medium', score: 0.55 });
      }
    }
    const first = original ?? digitized;
    if (first && modified && comparable(first, modified)) {
      const d = first.wallMs - modified.wallMs;
      if (d > SAME_SHOT_TOLERANCE) findings.push({ what: `captured ${fmtDuration(d)} after it was last modified`, severity: 'medium', score: 0.6 });
    }
    const offsets = ['OffsetTime', 'OffsetTimeOriginal', 'OffsetTimeDigitized'].map((k) => [k, meta[k]] as const).filter(([, v]) => v !== undefined);
    for (const [k, v] of offsets) {
      const off = parseOffset(v);
      if (off === undefined || off < MIN_OFFSET_MIN || off > MAX_OFFSET_MIN || off % 15 !== 0) {
        findings.push({ what: `${k} "${String(v)}" is not a real time-zone offset`, severity: 'medium', score: 0.55 });
      }
    }
    if (capture && gps) {
      const g = gpsFinding(capture, gps);
      if (g) findings.push(g);
    }
    const claimed = ctx.upload.capturedAt;
    if (capture && claimed) {
      const { earliest, latest } = instantRange(capture);
      const at = claimed.getTime();
      const off = at < earliest - GPS_TOLERANCE ? earliest - at : at > latest + GPS_TOLERANCE ? at - latest : 0;
      if (off > 0) findings.push({ what: `app says captured ${claimed.toISOString()}, EXIF ${capture.tag} ${fmtWall(capture.wallMs)} (${fmtDuration(off)} apart)`, severity: 'medium', score: off > 24 * HOUR_MS ? 0.7 : 0.55 });
    }
    if (findings.length === 0) return [];
    findings.sort((a, b) => b.score - a.score);
    const top = findings[0]!;
    const score = Math.min(0.8, top.score + 0.05 * (findings.length - 1));
    return [signal('meta.date_inconsistent', top.severity, score, findings.map((f) => f.what).join('; '), {
      findings: findings.map((f) => f.what),
      dateTimeOriginal: original && fmtWall(original.wallMs),
      createDate: digitized && fmtWall(digitized.wallMs),
      modifyDate: modified && fmtWall(modified.wallMs),
      gps: gps && fmtWall(gps.wallMs),
    })];
  },
};

/** Two wall times can be compared directly when both are zone-less or both carry an offset. */
function comparable(a: WallTime, b: WallTime): boolean {
  return (a.offsetMin === undefined) === (b.offsetMin === undefined);
}

/**
 * GPS time is UTC from the satellites; capture time is the camera's wall clock. Their difference must be
 * a real zone offset. Several cameras (the Nikon P6000 in our corpus) write a GPS date one day off, so a
 * difference that is a zone offset modulo 24 h is only low.
 */
function gpsFinding(capture: WallTime & { tag: string }, gps: WallTime): { what: string; severity: 'low' | 'medium'; score: number } | undefined {
  const captureUtc = instantRange(capture);
  if (capture.offsetMin !== undefined) {
    const d = captureUtc.earliest - gps.wallMs;
    if (Math.abs(d) <= GPS_TOLERANCE) return undefined;
    return dayModulo(d, 0, 0)
      ? { what: `GPS date is a whole day off the ${capture.tag}`, severity: 'low', score: 0.3 }
      : { what: `GPS time is ${fmtDuration(d)} from ${capture.tag} (zone stated)`, severity: 'medium', score: Math.abs(d) > 24 * HOUR_MS ? 0.7 : 0.6 };
  }
  // Offset in minutes implied by (wall − UTC).
  const implied = (capture.wallMs - gps.wallMs) / MIN;
  const lo = MIN_OFFSET_MIN - GPS_TOLERANCE / MIN;
  const hi = MAX_OFFSET_MIN + GPS_TOLERANCE / MIN;
  if (implied >= lo && implied <= hi) return undefined;
  const outside = (implied < lo ? lo - implied : implied - hi) * MIN;
  if (dayModulo(implied * MIN, lo * MIN, hi * MIN)) return { what: `GPS date is a whole day off the ${capture.tag}`, severity: 'low', score: 0.3 };
  return { what: `GPS time is ${fmtDuration(outside)} beyond any time zone from ${capture.tag}`, severity: 'medium', score: outside > 24 * HOUR_MS ? 0.7 : 0.6 };
}

function dayModulo(d: number, lo: number, hi: number): boolean {
  for (const k of [-1, 1]) {
    const x = d + k * 24 * HOUR_MS;
    if (x >= lo - GPS_TOLERANCE && x <= hi + GPS_TOLERANCE) return true;
  }
  return false;
}

function allDates(meta: Readonly<Record<string, unknown>>): { tag: string; t: WallTime }[] {
  const out: { tag: string; t: WallTime }[] = [];
  for (const tag of ['DateTimeOriginal', 'CreateDate', 'ModifyDate']) {
    const t = parseWallTime(meta[tag]);
    if (t) out.push({ tag, t });
  }
  const g = gpsTime(meta);
  if (g) out.push({ tag: 'GPSDateTime', t: g });
  return out;
}

/** Latest time a clock could honestly show at upload, allowing for zone-less EXIF clocks. */
const FUTURE_SLACK = 30 * MIN;

export const futureDate: Detector = {
  name: 'meta.future_date',
  codes: ['meta.future_date'],
  kinds: ['image', 'video'],
  async detect(view, ctx) {
    const meta = await view.metadata();
    const now = ctx.upload.receivedAt.getTime();
    const ahead = allDates(meta)
      .map(({ tag, t }) => ({ tag, t, by: instantRange(t).earliest - now }))
      .filter((x) => x.by > FUTURE_SLACK)
      .sort((a, b) => b.by - a.by);
    const top = ahead[0];
    if (!top) return [];
    // A wrong camera clock is common and harmless; a date days ahead of the upload is not a clock slip.
    const far = top.by > 48 * HOUR_MS;
    return [signal('meta.future_date', far ? 'high' : 'medium', far ? 0.8 : 0.5,
      `${top.tag} ${fmtWall(top.t.wallMs)} is ${fmtDuration(top.by)} after the upload arrived`,
      { tag: top.tag, value: fmtWall(top.t.wallMs), receivedAt: ctx.upload.receivedAt.toISOString(), aheadMs: top.by })];
  },
};

export const captureBeforeTask: Detector = {
  name: 'meta.capture_before_task',
  codes: ['meta.capture_before_task'],
  kinds: ['image', 'video'],
  async detect(view, ctx) {
    const given = ctx.upload.task?.givenAt;
    if (!given) return [];
    const meta = await view.metadata();
    const capture = captureTime(meta);
    const gps = gpsTime(meta);
    const out: Signal[] = [];
    // The latest time any clock allows: a GPS date one day off (a firmware bug) or a zone-less EXIF clock must
    // not make an honest capture look older than it is. Clocks that disagree are meta.date_inconsistent's job.
    const candidates = [
      ...(gps ? [{ tag: 'GPSDateTime', at: gps.wallMs }] : []),
      ...(capture ? [{ tag: capture.tag, at: instantRange(capture).latest }] : []),
    ].sort((a, b) => b.at - a.at);
    const top = candidates[0];
    if (!top) return out;
    const latest = top.at;
    const before = given.getTime() - latest;
    if (before <= 5 * MIN) return out;
    const tag = top.tag;
    const far = before > 24 * HOUR_MS;
    out.push(signal('meta.capture_before_task', far ? 'high' : 'medium', far ? 0.85 : 0.6,
      `captured ${fmtDuration(before)} before the task was given`,
      { tag, capturedLatest: new Date(latest).toISOString(), taskGivenAt: given.toISOString() }));
    return out;
  },
};
