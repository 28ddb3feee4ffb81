import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TollgateError } from '../../src/errors.ts';
import { DEFAULT_MEDIA_LIMITS } from '../../src/media/limits.ts';
import { openMedia } from '../../src/media/open.ts';
import { BAD_INPUTS } from '../support/bad-inputs.ts';

/**
 * The bad-input corpus written to disk under misleading names and read back, as an upload would arrive:
 * every file must fail with its own code, as a TollgateError, without crashing the process.
 */
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tollgate-bad-inputs-'));
  for (const [i, c] of BAD_INPUTS.entries()) await writeFile(join(dir, `${i}-${c.fileName}`), c.bytes);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('openMedia on the bad-input corpus', () => {
  it('has one case per hostile kind, each small', () => {
    const codes = new Set(BAD_INPUTS.map((c) => c.expectedCode));
    for (const code of ['media.empty', 'media.truncated', 'media.corrupt', 'media.too_many_pixels', 'media.archive', 'media.active_content', 'media.metadata_bomb', 'media.unsupported_type']) {
      expect(codes).toContain(code);
    }
    for (const c of BAD_INPUTS) expect(c.bytes.length).toBeLessThan(256 * 1024);
  });

  for (const [i, c] of BAD_INPUTS.entries()) {
    it(`${c.name} → ${c.expectedCode}`, async () => {
      const bytes = await readFile(join(dir, `${i}-${c.fileName}`));
      const error = await openMedia(bytes).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TollgateError);
      expect((error as TollgateError).code).toBe(c.expectedCode);
      // The message is what a reviewer reads; it must say something beyond the code.
      expect((error as TollgateError).message.length).toBeGreaterThan(5);
    });
  }

  it('refuses the PNG bomb from its header even with a generous byte limit', async () => {
    const bomb = BAD_INPUTS.find((c) => c.expectedCode === 'media.too_many_pixels');
    expect(bomb).toBeDefined();
    const before = process.memoryUsage().rss;
    await expect(openMedia(bomb?.bytes ?? Buffer.alloc(0), { ...DEFAULT_MEDIA_LIMITS, maxBytes: 1e9 })).rejects.toMatchObject({ code: 'media.too_many_pixels' });
    // 50000² RGB would be 7.5 GB; nothing near that may have been allocated.
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
  });

  it('rejects files over the byte limit before looking at them', async () => {
    await expect(openMedia(Buffer.alloc(2048, 0xff), { ...DEFAULT_MEDIA_LIMITS, maxBytes: 1024 })).rejects.toMatchObject({ code: 'media.too_large' });
  });
});
