import { describe, expect, it } from 'vitest';
import { decodeHeicInWorker } from '../../../src/media/heic-worker.ts';
import { fixture, HAVE_SHARED, shared } from './helpers.ts';

const HEIF = fixture('samplefilehub.heif');
const LIMIT_MS = 30_000;

describe('HEIC decoder pool', () => {
  it('decodes several photos at once, each to the same pixels as alone', async () => {
    const alone = await decodeHeicInWorker(HEIF, LIMIT_MS);
    expect(alone).toMatchObject({ width: 640, height: 426 });
    expect(alone.data.length).toBe(640 * 426 * 4);
    const together = await Promise.all(Array.from({ length: 6 }, () => decodeHeicInWorker(HEIF, LIMIT_MS)));
    for (const pixels of together) {
      expect(pixels).toMatchObject({ width: 640, height: 426 });
      expect(Buffer.compare(Buffer.from(pixels.data), Buffer.from(alone.data))).toBe(0);
    }
  });

  // A 12 MP photo takes about a second to decode, so its 1 ms limit runs out first however the threads are scheduled.
  it.skipIf(!HAVE_SHARED)('fails only the decode that overran its limit; the others, running or waiting, finish', async () => {
    const photo = shared('immich-test-assets/formats/heic/IMG_2682.heic');
    const outcomes = await Promise.allSettled([
      decodeHeicInWorker(photo, 1),
      ...Array.from({ length: 5 }, () => decodeHeicInWorker(HEIF, LIMIT_MS)),
    ]);
    expect(outcomes[0]).toMatchObject({ status: 'rejected', reason: { code: 'media.timeout' } });
    for (const outcome of outcomes.slice(1)) expect(outcome).toMatchObject({ status: 'fulfilled', value: { width: 640, height: 426 } });
  });

  it('fails a truncated file alone, among good ones', async () => {
    const truncated = HEIF.subarray(0, Math.floor(HEIF.length / 2));
    const outcomes = await Promise.allSettled([decodeHeicInWorker(HEIF, LIMIT_MS), decodeHeicInWorker(truncated, LIMIT_MS), decodeHeicInWorker(HEIF, LIMIT_MS)]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});
