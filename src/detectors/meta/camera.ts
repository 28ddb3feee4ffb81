import type { MediaMetadata } from '../../media/types.ts';
import type { Detector, Signal } from '../types.ts';
import { metadataFingerprint } from './cloned.ts';
import { softwareHits } from './software.ts';
import { cameraTagCount, captureTime, containerTags, fmtWall, gpsTime, num, parseWallTime, signal, str } from './util.ts';

export const summary: Detector = {
  name: 'meta.summary',
  codes: ['meta.summary'],
  kinds: ['image', 'video'],
  async detect(view) {
    const meta = await view.metadata();
    const container = containerTags(meta);
    const make = str(meta, 'Make') ?? container?.format['com.apple.quicktime.make'];
    const model = str(meta, 'Model') ?? container?.format['com.apple.quicktime.model'];
    const software = str(meta, 'Software', 'CreatorTool') ?? container?.format['com.apple.quicktime.software'] ?? container?.format['encoder'];
    const capture = captureTime(meta);
    const modified = parseWallTime(meta['ModifyDate']);
    const gps = typeof meta['latitude'] === 'number' && typeof meta['longitude'] === 'number';
    const lens = str(meta, 'LensModel', 'Lens', 'LensInfo');
    const evidence: Record<string, unknown> = {
      make, model, software, lens,
      captured: capture && fmtWall(capture.wallMs) + (capture.offsetMin !== undefined ? ` (UTC${fmtOffset(capture.offsetMin)})` : ''),
      modified: modified && fmtWall(modified.wallMs),
      gps,
      cameraTags: cameraTagCount(meta),
    };
    if (gps) evidence['gpsTime'] = gpsTime(meta) && fmtWall(gpsTime(meta)!.wallMs);
    if (container) evidence['creationTime'] = container.format['creation_time'];
    // Stored by the pipeline with the upload: the key of DetectorLookups.uploadsByMetadataFingerprint.
    evidence['fingerprint'] = metadataFingerprint(meta);
    const parts = [
      [make, model].filter(Boolean).join(' ') || 'no camera',
      software && `software ${software}`,
      capture ? `captured ${evidence['captured'] as string}` : 'no capture date',
      gps ? 'GPS' : 'no GPS',
      lens && `lens ${lens}`,
    ].filter(Boolean);
    for (const k of Object.keys(evidence)) if (evidence[k] === undefined) delete evidence[k];
    return [signal('meta.summary', 'info', 0, parts.join(', '), evidence)];
  },
};

function fmtOffset(min: number): string {
  const s = min < 0 ? '-' : '+';
  const a = Math.abs(min);
  return `${s}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/** Container tags phones write on an untouched recording. */
function videoHasCameraTags(meta: MediaMetadata): boolean {
  const c = containerTags(meta);
  if (!c) return false;
  const f = c.format;
  return !!(f['com.apple.quicktime.make'] || f['com.apple.quicktime.model'] || f['com.android.manufacturer'] || f['com.android.model'] || f['make'] || f['model']);
}

export const stripped: Detector = {
  name: 'meta.stripped',
  codes: ['meta.stripped'],
  kinds: ['image', 'video'],
  async detect(view, ctx) {
    const meta = await view.metadata();
    const count = cameraTagCount(meta);
    if (count >= 2 || videoHasCameraTags(meta)) return [];
    const editorOnly = softwareHits(meta).length > 0;
    // A task asks for a fresh capture with the phone: a camera always writes Make/Model/date.
    const task = ctx.upload.task?.spec !== undefined;
    const what = count === 0 ? 'no camera metadata' : 'almost no camera metadata';
    const evidence = { cameraTags: count, format: view.info.format, task, editorOnly };
    if (task) return [signal('meta.stripped', 'medium', 0.55, `${what} although the task asks for a fresh capture`, evidence)];
    return [signal('meta.stripped', 'low', 0.2, what, evidence)];
  },
};

/** Makers whose EXIF never comes from a phone. */
const CAMERA_ONLY = /canon|nikon|fujifilm|olympus|om digital|pentax|ricoh|leica|hasselblad|panasonic|kodak|konica|minolta|casio|sigma|gopro|dji|polaroid|sanyo|reconyx|phase one/i;
const PHONE_MAKERS: readonly [RegExp, string][] = [
  [/apple|iphone|ipad|ios|ipados/i, 'apple'],
  [/samsung|galaxy|\bsm-[a-z]\d/i, 'samsung'],
  [/google|pixel/i, 'google'],
  [/xiaomi|redmi|poco|\bmi \d/i, 'xiaomi'],
  [/huawei|honor/i, 'huawei'],
  [/oneplus/i, 'oneplus'],
  [/oppo|realme/i, 'oppo'],
  [/vivo/i, 'vivo'],
  [/motorola|moto /i, 'motorola'],
  [/sony|xperia/i, 'sony'],
  [/nokia|hmd/i, 'nokia'],
  [/\blg\b|lge/i, 'lg'],
  [/asus|zenfone/i, 'asus'],
];

function brandOf(s: string | undefined): string | undefined {
  if (!s) return undefined;
  for (const [re, brand] of PHONE_MAKERS) if (re.test(s)) return brand;
  return undefined;
}

/** "iPhone 14 Pro" and "iPhone14,2" both mean an iPhone, but only the first names the model. */
function humanIphone(model: string): string | undefined {
  const m = /iphone\s+(\d+|se|x[rs]?)(\s*(pro max|pro|plus|mini|max))?/i.exec(model);
  return m ? `${m[1]!.toLowerCase()} ${(m[3] ?? '').toLowerCase()}`.trim() : undefined;
}

export const deviceMismatch: Detector = {
  name: 'meta.device_mismatch',
  codes: ['meta.device_mismatch'],
  kinds: ['image', 'video'],
  async detect(view, ctx) {
    const device = ctx.upload.device;
    if (!device?.model && !device?.os) return [];
    const meta = await view.metadata();
    const c = containerTags(meta);
    const make = str(meta, 'Make') ?? c?.format['com.apple.quicktime.make'] ?? c?.format['com.android.manufacturer'];
    const model = str(meta, 'Model') ?? c?.format['com.apple.quicktime.model'] ?? c?.format['com.android.model'];
    const claimed = `${device.model ?? ''} ${device.os ?? ''}`.trim();
    const evidence = { device: { model: device.model, os: device.os }, exif: { make, model } };
    const out: Signal[] = [];
    const deviceBrand = brandOf(device.model) ?? (/ios|ipados/i.test(device.os ?? '') ? 'apple' : undefined);
    const exifBrand = brandOf(`${make ?? ''} ${model ?? ''}`);
    if (make && CAMERA_ONLY.test(make) && !brandOf(make)) {
      out.push(signal('meta.device_mismatch', 'high', 0.8, `uploaded from ${claimed} but EXIF says ${make} ${model ?? ''}`.trim(), evidence));
    } else if (deviceBrand && exifBrand && deviceBrand !== exifBrand) {
      out.push(signal('meta.device_mismatch', 'high', 0.75, `uploaded from ${claimed} but EXIF says ${make ?? ''} ${model ?? ''}`.trim(), evidence));
    } else if (deviceBrand === 'apple' && make && !exifBrand) {
      // An iPhone's own camera always writes Make "Apple".
      out.push(signal('meta.device_mismatch', 'high', 0.75, `uploaded from ${claimed} but EXIF says ${make} ${model ?? ''}`.trim(), evidence));
    } else if (deviceBrand && make && !exifBrand) {
      out.push(signal('meta.device_mismatch', 'medium', 0.5, `uploaded from ${claimed} but EXIF names an unrelated maker, ${make}`, evidence));
    } else if (deviceBrand && exifBrand === deviceBrand && device.model && model) {
      const a = humanIphone(device.model);
      const b = humanIphone(model);
      const sameScheme = (a && b) || (/^sm-/i.test(device.model) && /^sm-/i.test(model));
      const differs = a && b ? a !== b : device.model.toLowerCase().replace(/\s/g, '') !== model.toLowerCase().replace(/\s/g, '');
      if (sameScheme && differs) out.push(signal('meta.device_mismatch', 'medium', 0.6, `uploaded from ${device.model} but EXIF says ${model}`, evidence));
    }
    // A desktop editor on a file that the app says came straight from a phone.
    const desktop = softwareHits(meta).find((h) => /windows|macintosh|mac os|linux/i.test(h.raw) && (h.cls === 'editor' || h.cls === 'developer'));
    if (desktop && /ios|android|ipados/i.test(device.os ?? '')) {
      out.push(signal('meta.device_mismatch', 'medium', 0.55, `phone upload (${device.os}) last saved by desktop software ${desktop.raw}`, { ...evidence, software: desktop.raw }));
    }
    return out;
  },
};

export const gpsInconsistent: Detector = {
  name: 'meta.gps_inconsistent',
  codes: ['meta.gps_inconsistent'],
  kinds: ['image', 'video'],
  async detect(view) {
    const meta = await view.metadata();
    const lat = num(meta, 'latitude');
    const lon = num(meta, 'longitude');
    const alt = num(meta, 'GPSAltitude');
    const altRef = meta['GPSAltitudeRef'];
    const below = altRef === 1 || (altRef instanceof Uint8Array && altRef[0] === 1);
    const altitude = alt === undefined ? undefined : below ? -alt : alt;
    const speed = num(meta, 'GPSSpeed');
    const speedRef = str(meta, 'GPSSpeedRef') ?? 'K';
    const findings: { what: string; severity: 'low' | 'medium' | 'high'; score: number }[] = [];
    if (lat !== undefined && (Math.abs(lat) > 90 || Number.isNaN(lat))) findings.push({ what: `latitude ${lat} is impossible`, severity: 'high', score: 0.8 });
    if (lon !== undefined && (Math.abs(lon) > 180 || Number.isNaN(lon))) findings.push({ what: `longitude ${lon} is impossible`, severity: 'high', score: 0.8 });
    // 0,0 is open ocean: a placeholder written by tools, never a phone's fix.
    if (lat === 0 && lon === 0) findings.push({ what: 'coordinates are exactly 0,0 (placeholder)', severity: 'medium', score: 0.5 });
    const rawLat = meta['GPSLatitude'];
    if (Array.isArray(rawLat) && rawLat.length === 3 && (Number(rawLat[1]) >= 60 || Number(rawLat[2]) >= 60)) {
      findings.push({ what: 'GPS minutes/seconds out of range', severity: 'medium', score: 0.6 });
    }
    if (altitude !== undefined) {
      // Dead Sea shore is −430 m; airliners cruise near 12 km and phones do record there.
      if (altitude < -500 || altitude > 20_000) findings.push({ what: `altitude ${Math.round(altitude)} m is impossible for a handheld capture`, severity: 'medium', score: 0.6 });
      else if (altitude > 9_000) findings.push({ what: `altitude ${Math.round(altitude)} m (in flight?)`, severity: 'low', score: 0.25 });
    }
    if (speed !== undefined) {
      const kmh = speedRef === 'M' ? speed * 1.609 : speedRef === 'N' ? speed * 1.852 : speed;
      if (kmh > 1_200) findings.push({ what: `GPS speed ${Math.round(kmh)} km/h`, severity: 'medium', score: 0.55 });
    }
    const date = meta['GPSDateStamp'];
    if (typeof date === 'string' && date.trim() && !gpsTime(meta) && !/^0000/.test(date.trim())) {
      findings.push({ what: `GPS timestamp "${date} ${String(meta['GPSTimeStamp'] ?? '')}" is malformed`, severity: 'low', score: 0.3 });
    }
    if (findings.length === 0) return [];
    findings.sort((a, b) => b.score - a.score);
    const top = findings[0]!;
    return [signal('meta.gps_inconsistent', top.severity, top.score, findings.map((f) => f.what).join('; '), {
      latitude: lat, longitude: lon, altitude, findings: findings.map((f) => f.what),
    })];
  },
};
