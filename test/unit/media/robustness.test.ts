import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TollgateError } from '../../../src/errors.ts';
import { openMedia } from '../../../src/media/open.ts';
import { TINY_JPEG, TINY_WEBP, tinyPng } from '../../support/bad-inputs.ts';

/**
 * Mutated and truncated versions of valid files: openMedia must either give a usable view or reject with a
 * media.* TollgateError — never another exception, never a hang.
 */
async function outcome(bytes: Buffer): Promise<string> {
  try {
    const view = await openMedia(bytes);
    await view.raster({ maxSide: 16 });
    await view.metadata();
    return 'ok';
  } catch (err) {
    expect(err).toBeInstanceOf(TollgateError);
    expect((err as TollgateError).code).toMatch(/^media\./);
    return (err as TollgateError).code;
  }
}

const seeds: ReadonlyArray<[string, Buffer]> = [
  ['jpeg', TINY_JPEG],
  ['png', tinyPng()],
  ['webp', TINY_WEBP],
];

describe('openMedia on mutated inputs', () => {
  for (const [name, seed] of seeds) {
    it(`${name}: random byte flips never escape as anything but a media error`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(fc.nat(seed.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), async (flips) => {
          const bytes = Buffer.from(seed);
          for (const [at, value] of flips) bytes[at] = value;
          await outcome(bytes);
        }),
        { numRuns: 60, seed: 42 },
      );
    });

    it(`${name}: every truncation is refused with a media error`, async () => {
      const codes = new Set<string>();
      for (let cut = 0; cut < seed.length; cut += Math.max(1, Math.floor(seed.length / 40))) codes.add(await outcome(seed.subarray(0, cut)));
      expect(codes.has('ok')).toBe(false);
      expect(codes.has('media.truncated')).toBe(true);
    });
  }
});
