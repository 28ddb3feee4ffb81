import { existsSync, readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { DATA_ROOT } from '../../../src/detectors/meta/tools/corpus.ts';
import { errorLevelPng } from '../../../src/media/ela.ts';

const hasData = existsSync(DATA_ROOT);
const NIKON = `${DATA_ROOT}exif-camera-samples/images/jpg/gps/DSCN0010.jpg`;

async function meanLevel(png: Buffer, region?: { left: number; top: number; width: number; height: number }): Promise<number> {
  const img = region ? sharp(png).extract(region) : sharp(png);
  const { data } = await img.greyscale().raw().toBuffer({ resolveWithObject: true });
  return data.reduce((a, x) => a + x, 0) / data.length;
}

describe.skipIf(!hasData)('error-level analysis', () => {
  it('gives a PNG of the image size', async () => {
    const png = await errorLevelPng(readFileSync(NIKON));
    const meta = await sharp(png).metadata();
    expect(meta).toMatchObject({ format: 'png', width: 640, height: 480 });
  });

  it('shows a region pasted from an uncompressed source brighter than the rest', async () => {
    const bytes = readFileSync(NIKON);
    // A 160×160 patch that never went through JPEG, pasted on a 16-px boundary, then the whole saved at q90 once.
    const noise = Buffer.alloc(160 * 160 * 3);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
    const patch = await sharp(noise, { raw: { width: 160, height: 160, channels: 3 } }).png().toBuffer();
    const edited = await sharp(await sharp(bytes).jpeg({ quality: 98 }).toBuffer()).composite([{ input: patch, left: 240, top: 160 }]).jpeg({ quality: 98 }).toBuffer();
    const png = await errorLevelPng(edited);
    const inside = await meanLevel(png, { left: 256, top: 176, width: 128, height: 128 });
    const outside = await meanLevel(png, { left: 0, top: 0, width: 160, height: 160 });
    expect(inside).toBeGreaterThan(2 * outside);
  });

  it('refuses PNGs and videos with media.not_jpeg', async () => {
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).png().toBuffer();
    await expect(errorLevelPng(png)).rejects.toMatchObject({ code: 'media.not_jpeg' });
    const mp4 = readFileSync(`${DATA_ROOT}tmk-vpdq-videos/videos/chair-19-sd-bar.mp4`);
    await expect(errorLevelPng(mp4)).rejects.toMatchObject({ code: 'media.not_jpeg' });
  });
});
