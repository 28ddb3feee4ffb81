import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIF_LIMITS, guardExif } from '../../../src/media/exif-guard.ts';
import { readImageMetadata } from '../../../src/media/metadata.ts';
import { openMedia } from '../../../src/media/open.ts';
import { checkStructure } from '../../../src/media/structure.ts';
import { TINY_JPEG, jpegWithExif, tiffWithIfd } from '../../support/bad-inputs.ts';
import { HAVE_SHARED, SHARED, shared } from './helpers.ts';

describe('metadata', () => {
  it('answers {} for a file without metadata and for garbage', async () => {
    expect(await (await openMedia(TINY_JPEG)).metadata()).toEqual({});
    expect(await readImageMetadata(Buffer.from('not an image at all'), 'jpeg')).toEqual({});
    // An APP1 with a TIFF header whose IFD offset points past the end: malformed, not hostile.
    const dangling = Buffer.from('II*\0\xff\xff\0\0', 'latin1');
    const view = await openMedia(jpegWithExif(dangling));
    expect(await view.metadata()).toBeTypeOf('object');
  });

  it('guards: loops and oversized IFDs throw media.metadata_bomb, honest IFDs pass', () => {
    expect(() => guardExif(tiffWithIfd(10, 0))).not.toThrow();
    expect(() => guardExif(tiffWithIfd(2, 8))).toThrow(expect.objectContaining({ code: 'media.metadata_bomb' }));
    expect(() => guardExif(tiffWithIfd(EXIF_LIMITS.maxEntriesPerIfd + 1, 0))).toThrow(expect.objectContaining({ code: 'media.metadata_bomb' }));
  });
});

describe.skipIf(!HAVE_SHARED)('metadata from the shared corpora', () => {
  it('merges EXIF, GPS and maker fields of a camera JPEG', async () => {
    const meta = await (await openMedia(shared('exif-camera-samples/images/jpg/gps/DSCN0010.jpg'))).metadata();
    expect(meta.Make).toBe('NIKON');
    expect(typeof meta.latitude).toBe('number');
    expect(typeof meta.longitude).toBe('number');
    expect(meta.DateTimeOriginal).toBeInstanceOf(Date);
  });

  it('reads PNG text chunks (ComfyUI prompt/workflow)', async () => {
    const meta = await (await openMedia(shared('ai-generator-metadata/comfyui-examples/unclip/sunset.png'))).metadata();
    expect(Object.keys(meta).some((k) => k.startsWith('exif:'))).toBe(true);
    const sd = readdirSync(join(SHARED, 'ai-generator-metadata/sd-parsers/parsers/ComfyUI')).find((f) => f.endsWith('.png'));
    if (sd) {
      const comfy = await (await openMedia(shared(`ai-generator-metadata/sd-parsers/parsers/ComfyUI/${sd}`))).metadata();
      expect(typeof comfy.prompt === 'string' || typeof comfy.workflow === 'string').toBe(true);
    }
  });

  it('reads the EXIF chunk of a WebP (exifr has no WebP reader of its own)', async () => {
    const meta = await (await openMedia(shared('ai-generator-metadata/comfyui-examples/wan/text_to_video_wan.webp'))).metadata();
    expect(String(meta.Make)).toMatch(/^workflow:/);
    expect(String(meta.Model)).toMatch(/^prompt:/);
  });

  it('reads XMP and ICC', async () => {
    const files = readdirSync(join(SHARED, 'exif-camera-samples/images/jpg/xmp'));
    let sawXmp = false;
    for (const f of files) {
      const meta = await (await openMedia(shared(`exif-camera-samples/images/jpg/xmp/${f}`))).metadata();
      if (Object.keys(meta).some((k) => /^(CreatorTool|creator|title|description|Rating|DocumentID|InstanceID)$/.test(k))) sawXmp = true;
    }
    expect(sawXmp).toBe(true);
    const icc = await (await openMedia(shared('c2pa-public-testfiles/image/jpeg/truepic-20230212-camera.jpg'))).metadata();
    expect(Object.keys(icc).length).toBeGreaterThan(10);
  });

  it('never flags a real camera file as a metadata bomb, and never throws on the broken ones', async () => {
    const root = join(SHARED, 'exif-camera-samples/images/jpg');
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(dir, e.name));
        else if (/\.jpe?g$/i.test(e.name)) files.push(join(dir, e.name));
      }
    };
    walk(root);
    expect(files.length).toBeGreaterThan(50);
    const { readFileSync } = await import('node:fs');
    for (const file of files) {
      const bytes = readFileSync(file);
      let structure: ReturnType<typeof checkStructure> | undefined;
      try {
        structure = checkStructure(bytes, 'jpeg');
      } catch {
        continue; // truncated/corrupt files are the structure check's business, tested elsewhere
      }
      for (const segment of structure.exifSegments) expect(() => guardExif(segment), file).not.toThrow();
      await expect(readImageMetadata(bytes, 'jpeg')).resolves.toBeTypeOf('object');
    }
  });
});
