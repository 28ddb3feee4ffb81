import { existsSync, readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { estimateQuality, libjpegTable, markerLayout, STD_LUMA, tablesHash, walkJpeg } from '../../../../src/detectors/meta/jpeg.ts';
import { DATA_ROOT } from '../../../../src/detectors/meta/tools/corpus.ts';

const data = (p: string): string => `${DATA_ROOT}${p}`;
const hasData = existsSync(DATA_ROOT);

describe('JPEG walker and quantization tables', () => {
  it('libjpeg scaling matches the IJG formula at the ends and the middle', () => {
    expect(libjpegTable(STD_LUMA, 50)).toEqual(STD_LUMA);
    expect(libjpegTable(STD_LUMA, 100).every((v) => v === 1)).toBe(true);
    expect(libjpegTable(STD_LUMA, 1).every((v) => v === 255)).toBe(true);
  });

  it('reads back the quality sharp (libjpeg-turbo) encoded with', async () => {
    const img = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#8a6' } }).jpeg({ quality: 77 }).toBuffer();
    const s = walkJpeg(img);
    expect(s.problems).toEqual([]);
    expect(s.trailingBytes).toBe(0);
    expect(estimateQuality(s.tables)).toEqual({ quality: 77, standard: true });
  });

  it('reports appended bytes, truncation and garbage without throwing', async () => {
    const img = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#000' } }).jpeg().toBuffer();
    expect(walkJpeg(Buffer.concat([img, Buffer.alloc(5000, 7)])).trailingBytes).toBe(5000);
    expect(walkJpeg(img.subarray(0, img.length - 40)).problems).toContain('no_eoi');
    expect(walkJpeg(Buffer.from('not a jpeg')).problems).toEqual(['no_soi']);
    const bad = Buffer.from(img);
    bad.writeUInt16BE(0xfff0, 4); // first segment length far beyond the file
    expect(walkJpeg(bad).problems).toContain('segment_length_out_of_bounds');
  });

  it.skipIf(!hasData)('camera tables are not libjpeg; an iPhone 6 and a Nikon P6000 differ', () => {
    const iphone = walkJpeg(readFileSync(data('exif-camera-samples/images/jpg/hdr/iphone_hdr_YES.jpg')));
    expect(estimateQuality(iphone.tables)?.standard).toBe(false);
    const nikon = walkJpeg(readFileSync(data('exif-camera-samples/images/jpg/gps/DSCN0010.jpg')));
    expect(estimateQuality(nikon.tables)).toEqual({ quality: 84, standard: true });
    expect(markerLayout(nikon)).toBe('db,c4,c0,da');
    expect(tablesHash(iphone.tables)).not.toBe(tablesHash(nikon.tables));
  });
});

describe('structure anomalies', () => {
  it('a second JPEG hidden after EOI is medium; a clean file says nothing', async () => {
    const { structureAnomaly } = await import('../../../../src/detectors/meta/structure.ts');
    const a = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#123' } }).jpeg().toBuffer();
    const ctx = { upload: { receivedAt: new Date() }, lookups: { uploadsBySha256: async () => [] }, abort: new AbortController().signal };
    const view = (bytes: Buffer) => ({ bytes, info: { format: 'jpeg', kind: 'image' } }) as unknown as Parameters<typeof structureAnomaly.detect>[0];
    expect(await structureAnomaly.detect(view(a), ctx)).toEqual([]);
    const [s] = await structureAnomaly.detect(view(Buffer.concat([a, a])), ctx);
    expect(s?.severity).toBe('medium');
    expect(s?.message).toContain('second JPEG');
  });
});
