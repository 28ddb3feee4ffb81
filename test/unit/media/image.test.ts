import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { heicPixels, heicRaster } from '../../../src/media/decode.ts';
import { DEFAULT_MEDIA_LIMITS } from '../../../src/media/limits.ts';
import { openMedia } from '../../../src/media/open.ts';
import { TINY_GIF, TINY_JPEG, makePng, tinyPng } from '../../support/bad-inputs.ts';
import { fixture, HAVE_SHARED, meanAbsDiff, shared } from './helpers.ts';

const ORIENT = 'exif-camera-samples/images/jpg/orientation';

describe('images: rasters and the cache', () => {
  it('decodes a JPEG and derives exact, bounded and grey rasters', async () => {
    const view = await openMedia(TINY_JPEG);
    expect(view.info).toMatchObject({ kind: 'image', format: 'jpeg', mime: 'image/jpeg', width: 32, height: 24, orientation: 1, frameCount: 1 });
    expect(view.sha256).toMatch(/^[0-9a-f]{64}$/);
    const full = await view.raster();
    expect(full).toMatchObject({ width: 32, height: 24, channels: 3 });
    expect(full.data.length).toBe(32 * 24 * 3);
    // maxSide never enlarges; exact does what it says.
    expect(await view.raster({ maxSide: 4096 })).toMatchObject({ width: 32, height: 24 });
    expect(await view.raster({ maxSide: 16 })).toMatchObject({ width: 16, height: 12 });
    expect(await view.raster({ exact: { width: 9, height: 8 } })).toMatchObject({ width: 9, height: 8, channels: 3 });
    const grey = await view.raster({ exact: { width: 32, height: 24 }, channels: 1 });
    expect(grey).toMatchObject({ channels: 1 });
    // BT.601 luma of the first pixel.
    const [r, g, b] = [full.data[0] ?? 0, full.data[1] ?? 0, full.data[2] ?? 0];
    expect(Math.abs((grey.data[0] ?? 0) - (0.299 * r + 0.587 * g + 0.114 * b))).toBeLessThanOrEqual(1);
  });

  it("hashes the bytes, unless the caller holds their SHA-256 already (a blob's content address)", async () => {
    const digest = createHash('sha256').update(TINY_JPEG).digest('hex');
    expect((await openMedia(TINY_JPEG)).sha256).toBe(digest);
    const known = 'f'.repeat(64);
    expect((await openMedia(TINY_JPEG, DEFAULT_MEDIA_LIMITS, { sha256: known })).sha256).toBe(known);
  });

  it('caches each raster request: the same request returns the same raster', async () => {
    const view = await openMedia(TINY_JPEG);
    const a = await view.raster({ maxSide: 16, channels: 1 });
    const b = await view.raster({ maxSide: 16, channels: 1 });
    expect(b).toBe(a);
    // Different requests that resolve to the same size share the entry too.
    expect(await view.raster({ exact: { width: 16, height: 12 }, channels: 1 })).toBe(a);
    // A band of a derived size is the top of that size's raster.
    const band = await view.raster({ maxSide: 16, channels: 1, rows: 5 });
    expect(band).toMatchObject({ width: 16, height: 5, channels: 1 });
    expect(Array.from(band.data)).toEqual(Array.from(a.data.subarray(0, 16 * 5)));
    const [frame] = await view.frames();
    expect(frame?.index).toBe(0);
    expect(await frame?.raster({ maxSide: 16, channels: 1 })).toBe(a);
  });

  it('flattens alpha onto white', async () => {
    // 2×1 RGBA PNG: one transparent pixel, one opaque red one.
    const rows = Buffer.from([0, 0, 0, 0, 0, 255, 0, 0, 255]);
    const png = makePng(2, 1, rows);
    png[8 + 8 + 9] = 6; // IHDR colour type → RGBA (the CRC is recomputed below)
    const { crc32 } = await import('node:zlib');
    png.writeUInt32BE(crc32(png.subarray(12, 12 + 17)), 12 + 17);
    const raster = await (await openMedia(png)).raster();
    expect(Array.from(raster.data)).toEqual([255, 255, 255, 255, 0, 0]);
  });

  it('checks the pixel limit from the header', async () => {
    const limits = { ...DEFAULT_MEDIA_LIMITS, maxPixels: 100 };
    await expect(openMedia(tinyPng(), limits)).rejects.toMatchObject({ code: 'media.too_many_pixels' });
    await expect(openMedia(tinyPng(), { ...limits, maxPixels: 256 })).resolves.toBeDefined();
  });
});

describe.skipIf(!HAVE_SHARED)('images from the shared corpora', () => {
  it('applies EXIF orientation 1–8: display size and pixels agree with orientation 1', async () => {
    for (const shape of ['landscape', 'portrait']) {
      const upright = await openMedia(shared(`${ORIENT}/${shape}_1.jpg`));
      const reference = await upright.raster({ exact: { width: 48, height: 48 }, channels: 1 });
      for (let o = 1; o <= 8; o++) {
        const view = await openMedia(shared(`${ORIENT}/${shape}_${o}.jpg`));
        expect(view.info.orientation).toBe(o);
        expect([view.info.width, view.info.height]).toEqual([upright.info.width, upright.info.height]);
        const raster = await view.raster({ exact: { width: 48, height: 48 }, channels: 1 });
        expect(meanAbsDiff(raster, reference), `${shape}_${o}`).toBeLessThan(12);
      }
    }
  });

  it('decodes a 12 MP JPEG once to a working raster and derives small sizes from it', async () => {
    const view = await openMedia(shared('pdq-reference/images/reg-test-input/exif-rotn/exif-rotn-1.jpg'));
    expect(view.info).toMatchObject({ width: 4032, height: 3024, decoder: 'sharp' });
    const working = await view.raster({ maxSide: 1024 });
    expect(working).toMatchObject({ width: 1024, height: 768 });
    expect(await view.raster({ maxSide: 64 })).toMatchObject({ width: 64, height: 48 });
    // Larger than the working raster: decoded again from the source, at the requested size.
    expect(await view.raster({ maxSide: 2048 })).toMatchObject({ width: 2048, height: 1536 });
  });

  it('decodes a band of top rows at full size with exactly the pixels of the whole decode, rotated or not', async () => {
    for (const file of ['pdq-reference/images/reg-test-input/exif-rotn/exif-rotn-1.jpg', 'pdq-reference/images/reg-test-input/exif-rotn/exif-rotn-6.jpg']) {
      const bytes = shared(file);
      const band = await (await openMedia(bytes)).raster({ rows: 200 });
      const view = await openMedia(bytes);
      const whole = await view.raster();
      expect(band).toMatchObject({ width: whole.width, height: 200, channels: 3 });
      expect(Buffer.compare(Buffer.from(band.data), Buffer.from(whole.data.subarray(0, band.data.length))), file).toBe(0);
      // With the whole raster in hand, a band is cut from it rather than decoded.
      expect((await view.raster({ rows: 200 })).data.buffer).toBe(whole.data.buffer);
      expect(await view.raster({ rows: 1e9 })).toBe(whole);
    }
    const heic = shared('immich-test-assets/formats/heic/IMG_2682.heic');
    const band = await (await openMedia(heic)).raster({ rows: 100, channels: 1 });
    const whole = await (await openMedia(heic)).raster({ channels: 1 });
    expect(Buffer.compare(Buffer.from(band.data), Buffer.from(whole.data.subarray(0, band.data.length)))).toBe(0);
  });

  it('derives every size of a HEIC view from one decode, each as decoding at that size gives it', async () => {
    const bytes = shared('immich-test-assets/formats/heic/IMG_2682.heic');
    const view = await openMedia(bytes);
    const pixels = await heicPixels(bytes);
    for (const size of [{ width: 1024, height: 768 }, { width: 4032, height: 3024 }]) {
      const raster = await view.raster({ maxSide: size.width });
      expect(Buffer.compare(Buffer.from(raster.data), Buffer.from((await heicRaster(pixels, size)).data)), `${size.width}`).toBe(0);
    }
  });

  it('decodes HEVC HEIC through heic-decode (sharp has no HEVC plugin)', async () => {
    const view = await openMedia(shared('immich-test-assets/formats/heic/IMG_2682.heic'));
    expect(view.info).toMatchObject({ format: 'heic', mime: 'image/heic', width: 4032, height: 3024, decoder: 'heic-decode' });
    const r = await view.raster({ maxSide: 256 });
    expect(r).toMatchObject({ width: 256, height: 192, channels: 3 });
    const meta = await view.metadata();
    expect(meta.Make).toBe('Apple');
  });

  it('decodes 8-bit AVIF with sharp and reports 10-bit AVIF as decoder_unavailable', async () => {
    const avif = await openMedia(shared('immich-test-assets/formats/avif/8bit-sRGB.avif'));
    expect(avif.info).toMatchObject({ format: 'avif', mime: 'image/avif', width: 1617, height: 1080, decoder: 'sharp' });
    await expect(openMedia(shared('immich-test-assets/formats/avif/10bit-HDR-P3-nclx.avif'))).rejects.toMatchObject({ code: 'media.decoder_unavailable' });
  });

  it('samples the frames of an animated WebP', async () => {
    const view = await openMedia(shared('ai-generator-metadata/comfyui-examples/wan/text_to_video_wan.webp'));
    expect(view.info).toMatchObject({ format: 'webp', width: 832, height: 480, frameCount: 33 });
    const frames = await view.frames();
    expect(frames).toHaveLength(33);
    expect(frames[1]?.timeS).toBeCloseTo(0.062, 3);
    const first = await frames[0]?.raster({ maxSide: 64 });
    const last = await frames[32]?.raster({ maxSide: 64 });
    expect(last).toMatchObject({ width: 64, height: 37 });
    // A video: the last frame differs from the first.
    expect(meanAbsDiff(first ?? last!, last!)).toBeGreaterThan(1);
    const capped = await openMedia(shared('ai-generator-metadata/comfyui-examples/ltxv/ltxv_text_to_video.webp'), { ...DEFAULT_MEDIA_LIMITS, maxFrames: 10 });
    const sampled = await capped.frames();
    expect(sampled).toHaveLength(10);
    expect(sampled[9]?.timeS).toBeGreaterThan(3);
  });

  it('flags data appended after the image without rejecting it', async () => {
    const view = await openMedia(shared('c2pa-public-testfiles/image/jpeg/nikon-20221019-building.jpeg'));
    expect(view.info.appended).toMatchObject({ offset: 1216014, kind: 'jpeg' });
    const withVideo = Buffer.concat([TINY_JPEG, fixture('rotated-90.mp4')]);
    expect((await openMedia(withVideo)).info.appended).toMatchObject({ offset: TINY_JPEG.length, kind: 'video' });
  });

  it('reports a JPEG with damaged entropy data as corrupt', async () => {
    await expect(openMedia(shared('exif-camera-samples/images/jpg/corrupted.jpg'))).rejects.toMatchObject({ code: 'media.corrupt' });
  });
});

describe('HEIF fixture (no corpus needed)', () => {
  it('decodes a small HEVC HEIF via the WASM fallback', async () => {
    const view = await openMedia(fixture('samplefilehub.heif'));
    expect(view.info).toMatchObject({ format: 'heic', width: 640, height: 426, decoder: 'heic-decode' });
    const r = await view.raster({ exact: { width: 32, height: 32 }, channels: 1 });
    expect(r.data.length).toBe(32 * 32);
  });
});

describe('GIF and TIFF', () => {
  it('opens the classic 1×1 GIF', async () => {
    const view = await openMedia(TINY_GIF);
    expect(view.info).toMatchObject({ format: 'gif', width: 1, height: 1, frameCount: 1 });
    expect(view.info.appended).toBeUndefined();
  });

  it('decodes the first frame of an animated GIF and samples its pages', async () => {
    const sharp = (await import('sharp')).default;
    // Three 8×6 pages stacked vertically: red, green, blue.
    const strip = Buffer.alloc(8 * 18 * 3);
    for (let p = 0; p < 3; p++) for (let i = 0; i < 48; i++) strip[(p * 48 + i) * 3 + p] = 255;
    const gif = await sharp(strip, { raw: { width: 8, height: 18, channels: 3, pageHeight: 6 } })
      .gif({ delay: [100, 200, 300] })
      .toBuffer();
    const view = await openMedia(gif);
    expect(view.info).toMatchObject({ format: 'gif', mime: 'image/gif', width: 8, height: 6, frameCount: 3 });
    const frames = await view.frames();
    expect(frames.map((f) => f.timeS)).toEqual([0, 0.1, 0.3]);
    const colours = await Promise.all(frames.map(async (f) => Array.from((await f.raster()).data.subarray(0, 3))));
    expect(colours.map((c) => c.indexOf(Math.max(...c)))).toEqual([0, 1, 2]);
    expect(await view.raster()).toBe(await frames[0]?.raster());
  });
});

describe.skipIf(!HAVE_SHARED)('TIFF from the shared corpora', () => {
  it('decodes TIFFs with sharp', async () => {
    const view = await openMedia(shared('exif-camera-samples/images/tiff/Arbitro.tiff'));
    expect(view.info).toMatchObject({ format: 'tiff', mime: 'image/tiff', decoder: 'sharp' });
    expect((await view.raster({ maxSide: 32 })).channels).toBe(3);
  });
});

describe('HEIC failure modes', () => {
  it('reports a truncated HEIC as a media error, not a crash', async () => {
    const bytes = fixture('samplefilehub.heif');
    const error = await openMedia(bytes.subarray(0, Math.floor(bytes.length / 2))).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as { code?: string }).code).toMatch(/^media\.(truncated|corrupt)$/);
  });
});
