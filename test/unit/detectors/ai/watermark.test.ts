import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { blockBits, embedWatermark, matchPayloads, SD_PAYLOADS, decodeBits, uAt } from '../../../../src/detectors/ai/watermark.ts';
import { DECODED_PIXELS, invisibleWatermarkDetector, isWatermarkMatch, watermarkRows } from '../../../../src/detectors/ai/watermark-detector.ts';
import { topRows } from '../../../../src/media/raster.ts';
import { openMedia } from '../../../../src/media/open.ts';
import type { Raster } from '../../../../src/media/types.ts';
import { context, DATA, HAS_DATA, read, walk } from './helpers.ts';

async function rasterOf(bytes: Buffer): Promise<Raster> {
  const { data, info } = await sharp(bytes).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: 3, data };
}

async function png(r: Raster): Promise<Buffer> {
  return sharp(Buffer.from(r.data), { raw: { width: r.width, height: r.height, channels: 3 } }).png().toBuffer();
}

const PHOTOS = ['object-photos/dog.jpg', 'object-photos/eagle.jpg', 'object-photos/horses.jpg', 'object-photos/person.jpg'];

describe('dwtDct decoding primitives', () => {
  it('votes per payload position with the reference threshold (mean > 127/255)', () => {
    expect(decodeBits(Uint8Array.from([1, 0, 1, 0, 1, 1]), 2)).toEqual([1, 0]);
    expect(decodeBits(Uint8Array.from([1, 0, 0, 1]), 2)).toEqual([1, 1]);
  });

  it("computes U exactly as OpenCV's COLOR_RGB2YUV for every 8-bit colour", () => {
    const pixel = new Uint8Array(3);
    let mismatches = 0;
    for (let r = 0; r < 256; r++) {
      for (let g = 0; g < 256; g++) {
        for (let b = 0; b < 256; b++) {
          pixel[0] = r;
          pixel[1] = g;
          pixel[2] = b;
          const luma = 0.299 * r + 0.587 * g + 0.114 * b;
          if (uAt(pixel, 0, 3) !== Math.min(255, Math.max(0, Math.round(0.492 * (b - luma) + 128)))) mismatches++;
        }
      }
    }
    expect(mismatches).toBe(0);
    expect(uAt(Uint8Array.of(200), 0, 1)).toBe(128);
  });

  it('reads a large image from a band of whole block rows whose votes are the first ones of the whole image', () => {
    expect(watermarkRows(1024, 1024)).toBe(1024);
    expect(watermarkRows(2000, 2000)).toBe(2000);
    const rows = watermarkRows(4032, 3024);
    expect(rows % 8).toBe(0);
    expect(rows).toBeLessThan(3024);
    expect(4032 * rows).toBeGreaterThanOrEqual(DECODED_PIXELS);
    expect(watermarkRows(100_000, 300)).toBe(40);
    const width = 203;
    const height = 161;
    const data = new Uint8Array(width * height * 3);
    let state = 7;
    for (let i = 0; i < data.length; i++) data[i] = (state = (state * 1103515245 + 12345) >>> 0) >>> 24;
    const whole = blockBits({ width, height, channels: 3, data });
    const band = blockBits(topRows({ width, height, channels: 3, data }, 64));
    expect(band.length).toBe(8 * Math.floor(width / 8));
    expect(Array.from(band)).toEqual(Array.from(whole.subarray(0, band.length)));
  });

  it('encodes the published payloads', () => {
    expect(SD_PAYLOADS.map((p) => p.bits.length)).toEqual([136, 32, 48]);
    expect(SD_PAYLOADS[2]?.bits.slice(0, 8)).toEqual([1, 0, 1, 1, 0, 0, 1, 1]); // 0xB3
  });
});

describe.skipIf(!HAS_DATA)('Stable Diffusion invisible watermark on real photos', () => {
  it.each(PHOTOS)('round-trips every SD payload through PNG on %s', async (file) => {
    const original = await rasterOf(read(file));
    for (const payload of SD_PAYLOADS) {
      const marked = await png(embedWatermark(original, payload.bits));
      const signals = await invisibleWatermarkDetector.detect(await openMedia(marked), context());
      expect(signals[0]?.evidence?.['payload'], `${file} ${payload.name}`).toBe(payload.name);
      expect(signals[0]?.code).toBe('ai.invisible_watermark');
    }
  });

  it('finds the mark in a 12 MP photo from the band it decodes', async () => {
    const original = await rasterOf(read('pdq-reference/images/reg-test-input/exif-rotn/exif-rotn-1.jpg'));
    expect(watermarkRows(original.width, original.height)).toBeLessThan(original.height);
    const marked = embedWatermark(original, SD_PAYLOADS[2]?.bits ?? []);
    const jpeg = await sharp(Buffer.from(marked.data), { raw: { width: marked.width, height: marked.height, channels: 3 } })
      .jpeg({ quality: 95, chromaSubsampling: '4:4:4' })
      .toBuffer();
    const signals = await invisibleWatermarkDetector.detect(await openMedia(jpeg), context());
    expect(signals[0]?.evidence?.['payload']).toBe(SD_PAYLOADS[2]?.name);
    expect(await invisibleWatermarkDetector.detect(await openMedia(read('pdq-reference/images/reg-test-input/exif-rotn/exif-rotn-1.jpg')), context())).toEqual([]);
  });

  it('keeps the change invisible (PSNR > 38 dB)', async () => {
    const original = await rasterOf(read('object-photos/dog.jpg'));
    const marked = embedWatermark(original, SD_PAYLOADS[2]?.bits ?? []);
    let sse = 0;
    for (let i = 0; i < original.data.length; i++) sse += ((marked.data[i] ?? 0) - (original.data[i] ?? 0)) ** 2;
    expect(10 * Math.log10((255 * 255) / (sse / original.data.length))).toBeGreaterThan(38);
  });

  it('survives JPEG quality 90 without chroma subsampling', async () => {
    const original = await rasterOf(read('object-photos/horses.jpg'));
    const marked = await png(embedWatermark(original, SD_PAYLOADS[2]?.bits ?? []));
    const jpeg = await sharp(marked).jpeg({ quality: 90, chromaSubsampling: '4:4:4' }).toBuffer();
    const sdxl = matchPayloads(await rasterOf(jpeg))[2];
    expect(sdxl && isWatermarkMatch(sdxl)).toBe(true);
  });

  it('has no false positives on real photos and unwatermarked ComfyUI outputs', async () => {
    const files = [
      ...walk(`${DATA}/object-photos`, /\.jpe?g$/i),
      ...walk(`${DATA}/ai-generator-metadata/comfyui-examples`, /\.png$/i),
      ...walk(`${DATA}/near-duplicates/imagededup-ukbench`, /\.(jpe?g|png)$/i).slice(0, 20),
    ];
    expect(files.length).toBeGreaterThan(30);
    for (const file of files) {
      // UKBench includes deliberately corrupt copies; decoding them is the media layer's test.
      const view = await openMedia(read(file.slice(DATA.length + 1))).catch(() => null);
      if (!view) continue;
      expect(await invisibleWatermarkDetector.detect(view, context()), file).toEqual([]);
    }
  });

  it('skips images the reference encoder refuses (< 256×256)', async () => {
    const small = await sharp(read('object-photos/dog.jpg')).resize(200, 200).png().toBuffer();
    expect(await invisibleWatermarkDetector.detect(await openMedia(small), context())).toEqual([]);
  });
});
