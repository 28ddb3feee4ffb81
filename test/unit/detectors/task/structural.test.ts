import { describe, expect, it } from 'vitest';
import { haversineKm, parseIso6709 } from '../../../../src/detectors/task/capture.ts';
import { taskStructureDetector } from '../../../../src/detectors/task/structural.ts';
import { codes, contextFor, data, HAS_DATA, HAS_FFMPEG, makeVideo, open, photo, run } from './helpers.ts';
import { readFileSync } from 'node:fs';

const detect = async (bytes: Buffer, task: Record<string, unknown> | undefined, extra = {}) =>
  run(taskStructureDetector, await open(bytes), contextFor(task, extra));

describe.skipIf(!HAS_DATA)('task structure on real photos', () => {
  const dog = () => readFileSync(photo('dog.jpg')); // 768×576, DateTimeOriginal 2014-09-19 16:08:30, no GPS

  it('does nothing without a task', async () => {
    expect(await detect(dog(), undefined)).toEqual([]);
  });

  it('flags a photo for a video task, and size and orientation', async () => {
    const signals = await detect(dog(), { media: 'video', min_width: 1024, orientation: 'portrait' });
    expect(codes(signals)).toEqual(['task.too_small', 'task.wrong_media', 'task.wrong_orientation']);
    const media = signals.find((s) => s.code === 'task.wrong_media')!;
    expect(media).toMatchObject({ severity: 'high', score: 1 });
    expect(media.message).toBe('task asks for a video; this is a still image (jpeg)');
    expect(signals.find((s) => s.code === 'task.too_small')!.message).toBe('task asks for at least 1024×any px; this image is 768×576');
    expect(await detect(dog(), { media: 'image', min_width: 768, min_height: 576, orientation: 'landscape' })).toEqual([]);
  });

  it('compares EXIF DateTimeOriginal with captured_after, allowing for the unknown time zone', async () => {
    const [before] = await detect(dog(), { captured_after: '2026-11-20T00:00:00Z' });
    expect(before).toMatchObject({ code: 'task.captured_before', severity: 'high' });
    expect(before!.message).toMatch(/^captured 2014-09-19 16:08:30 \(DateTimeOriginal\), \d+ days before the task \(captured_after 2026-11-20T00:00:00Z\)$/);
    // Within a day of the wall-clock time the zone decides: review, not reject.
    const [maybe] = await detect(dog(), { captured_after: '2014-09-19T12:00:00Z' });
    expect(maybe).toMatchObject({ code: 'task.captured_before', severity: 'medium' });
    expect(await detect(dog(), { captured_after: '2014-09-18T00:00:00Z' })).toEqual([]);
  });

  it('uses when the task was given when the spec has no captured_after', async () => {
    const signals = await detect(dog(), { media: 'image' }, { task: { id: 't', spec: { media: 'image' }, givenAt: new Date('2020-01-01T00:00:00Z') } });
    expect(signals[0]?.message).toContain('(task given 2020-01-01T00:00:00Z)');
  });

  it('asks for review when there is no capture time or location', async () => {
    const noDate = data('immich-test-assets/metadata/dates/time-created.jpg');
    const signals = await detect(noDate, { captured_after: '2026-01-01T00:00:00Z', near: { lat: 0, lon: 0, radius_km: 1 } });
    expect(codes(signals)).toEqual(['task.no_capture_time', 'task.no_location']);
    expect(signals.every((s) => s.severity === 'medium')).toBe(true);
  });

  it('checks EXIF GPS against the task location', async () => {
    // thompson-springs.jpg: GPS 39.115, -108.401 (Utah).
    const utah = data('immich-test-assets/metadata/gps-position/thompson-springs.jpg');
    expect(await detect(utah, { near: { lat: 39.1, lon: -108.4, radius_km: 5 } })).toEqual([]);
    const [far] = await detect(utah, { near: { lat: 48.8584, lon: 2.2945, radius_km: 10 } });
    expect(far).toMatchObject({ code: 'task.outside_area', severity: 'high' });
    expect(far!.message).toMatch(/^captured 8\d{3} km from the task location \(48\.8584, 2\.2945\); the task allows 10 km$/);
  });

  it('falls back to GPS time (UTC) when there is no EXIF date', async () => {
    const gpsOnly = data('immich-test-assets/metadata/dates/gps-datetime.jpg'); // GPS 2023-11-15T12:30:00Z
    const [late] = await detect(gpsOnly, { captured_after: '2023-11-15T12:31:00Z' });
    expect(late).toMatchObject({ code: 'task.captured_before', severity: 'high' });
    expect(await detect(gpsOnly, { captured_after: '2023-11-15T12:29:00Z' })).toEqual([]);
  });
});

describe.skipIf(!HAS_DATA || !HAS_FFMPEG)('task structure on ffmpeg videos', () => {
  it('reads duration, container creation time and ISO 6709 location', async () => {
    const video = makeVideo([photo('dog.jpg'), photo('horses.jpg')], {
      secondsEach: 1,
      metadata: { creation_time: '2026-11-20T10:00:00Z', location: '+48.8577+002.2950/' },
    });
    const ok = await detect(video, { media: 'video', min_duration_s: 1.5, max_duration_s: 10, captured_after: '2026-11-19T00:00:00Z', near: { lat: 48.8584, lon: 2.2945, radius_km: 1 }, orientation: 'landscape' });
    expect(ok).toEqual([]);
    const bad = await detect(video, { media: 'image' });
    expect(bad.map((s) => s.message)).toEqual(['task asks for a photo; this is a video (mp4)']);
    const short = await detect(video, { min_duration_s: 3, captured_after: '2026-11-21T00:00:00Z' });
    expect(codes(short)).toEqual(['task.captured_before', 'task.too_short']);
    expect(short.find((s) => s.code === 'task.too_short')!.message).toBe('task asks for at least 3.0 s of video; this one is 2.0 s');
    expect(short.find((s) => s.code === 'task.captured_before')!.message).toContain('(creation_time), 14 h before the task');
    const long = await detect(video, { max_duration_s: 1, orientation: 'portrait' });
    expect(codes(long)).toEqual(['task.too_long', 'task.wrong_orientation']);
  });

  it('a video without container time or location is sent to review', async () => {
    const video = makeVideo([photo('dog.jpg')], { secondsEach: 1 });
    expect(codes(await detect(video, { captured_after: '2026-01-01T00:00:00Z', near: { lat: 1, lon: 1, radius_km: 1 } }))).toEqual(['task.no_capture_time', 'task.no_location']);
  });
});

describe('geometry', () => {
  it('haversine and ISO 6709', () => {
    // Paris → London, 343.5 km great-circle.
    expect(haversineKm({ lat: 48.8566, lon: 2.3522 }, { lat: 51.5074, lon: -0.1278 })).toBeCloseTo(343.5, 0);
    expect(parseIso6709('+48.8577+002.2950+035.000/')).toEqual({ lat: 48.8577, lon: 2.295 });
    expect(parseIso6709('-33.8688+151.2093/')).toEqual({ lat: -33.8688, lon: 151.2093 });
    expect(parseIso6709('garbage')).toBeUndefined();
  });
});
