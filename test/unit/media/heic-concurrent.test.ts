import { describe, expect, it } from 'vitest';
import { openMedia } from '../../../src/media/open.ts';
import { fixture, HAVE_SHARED, shared } from './helpers.ts';

// Its own file, so its module state is fresh: these are the process's first HEVC decodes, the ones that try
// sharp before learning that its libheif has no HEVC plugin.
describe.skipIf(!HAVE_SHARED)('HEVC HEICs decoded side by side as a process starts', () => {
  it('decodes every one, whatever message libvips gives the decodes that fail beside each other', async () => {
    const files = [
      fixture('samplefilehub.heif'),
      shared('exif-camera-samples/images/heic/IMG_5195.HEIC'),
      fixture('samplefilehub.heif'),
      shared('exif-camera-samples/images/heic/IMG_5195.HEIC'),
    ];
    const views = await Promise.all(files.map((bytes) => openMedia(bytes)));
    for (const view of views) expect(view.info).toMatchObject({ format: 'heic', decoder: 'heic-decode' });
  });
});
