import { createHash } from 'node:crypto';
import type { MediaMetadata } from '../../media/types.ts';
import type { Detector } from '../types.ts';
import { num, parseWallTime, signal, str } from './util.ts';

/**
 * A fingerprint of the capture as the camera recorded it: body, shutter instant (with sub-seconds) and
 * exposure. Two different images (different bytes) with the same fingerprint means one file's EXIF was
 * copied onto another picture — a common way to dress a downloaded image as a fresh capture.
 * Undefined when the metadata is too thin to be distinctive (no capture time or fewer than 2 exposure fields;
 * a capture second plus a body and two exposure values does not repeat across honest shots of different people).
 */
export function metadataFingerprint(meta: MediaMetadata): string | undefined {
  const original = parseWallTime(meta['DateTimeOriginal']);
  if (!original) return undefined;
  // Coarse on purpose: copying EXIF with ExifTool or an app re-writes rationals (a 10.8125 mm focal length
  // comes back as 10.8), so values are rounded and derived APEX values are left out.
  const rounded: [string, (v: number) => string][] = [
    ['ExposureTime', (v) => v.toPrecision(2)], ['FNumber', (v) => v.toFixed(1)], ['ISO', (v) => String(Math.round(v))],
    ['FocalLength', (v) => String(Math.round(v))],
  ];
  const exposure = rounded.flatMap(([k, f]) => {
    const v = num(meta, k);
    return v === undefined ? [] : [f(v)];
  });
  if (exposure.length < 2) return undefined;
  const parts = [
    str(meta, 'Make') ?? '', str(meta, 'Model') ?? '', str(meta, 'SerialNumber', 'BodySerialNumber') ?? '',
    String(original.wallMs), str(meta, 'SubSecTimeOriginal') ?? '', exposure.join(','),
    [num(meta, 'latitude'), num(meta, 'longitude')].map((v) => (v === undefined ? '' : v.toFixed(4))).join(','),
  ];
  return createHash('sha256').update(parts.join('|')).digest('hex').slice(0, 32);
}

export const clonedMetadata: Detector = {
  name: 'meta.cloned_metadata',
  codes: ['meta.cloned_metadata'],
  kinds: ['image'],
  async detect(view, ctx) {
    const lookup = ctx.lookups.uploadsByMetadataFingerprint;
    if (!lookup) return [];
    const fp = metadataFingerprint(await view.metadata());
    if (!fp) return [];
    const earlier = (await lookup.call(ctx.lookups, fp)).filter((u) => u.uploadId !== ctx.upload.uploadId);
    if (earlier.length === 0) return [];
    const me = ctx.upload.contributorId;
    const others = earlier.filter((u) => u.contributorId !== null && u.contributorId !== me);
    const evidence = { fingerprint: fp, earlier: earlier.slice(0, 5).map((u) => ({ uploadId: u.uploadId, contributorId: u.contributorId, receivedAt: u.receivedAt.toISOString() })) };
    // The exact duplicate case (same bytes) is dup.*'s business; here the pixels differ but the capture is the same.
    if (others.length > 0) {
      return [signal('meta.cloned_metadata', 'high', 0.85, `same camera, shutter instant and exposure as ${others.length} upload(s) by other contributors`, evidence)];
    }
    // The same person's HDR pair or edited copy shares the capture record honestly.
    return [signal('meta.cloned_metadata', 'low', 0.3, `same capture record as ${earlier.length} earlier upload(s) of this contributor`, evidence)];
  },
};
