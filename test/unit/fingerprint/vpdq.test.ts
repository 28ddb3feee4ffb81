import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hammingHex } from '../../../src/fingerprint/bits.ts';
import { collapseConsecutive, vpdqFromView, vpdqMatch, type VpdqFrame } from '../../../src/fingerprint/vpdq.ts';
import { openMedia } from '../../../src/media/open.ts';
import { PDQ_REFERENCE_DIR } from '../../../eval/pdq-conformance.ts';

const DIR = join(PDQ_REFERENCE_DIR, '..', 'tmk-vpdq-videos');

/** Upstream's per-frame vPDQ files: `frame,quality,hash,timestamp` per line. */
function readExpected(name: string): VpdqFrame[] {
  return readFileSync(join(DIR, 'expected', 'vpdq', `${name}.txt`), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(','))
    .map(([frame, quality, hash, time]) => ({ index: Number(frame), quality: Number(quality), hash: hash!, timeS: Number(time) }));
}

async function ours(name: string): Promise<VpdqFrame[]> {
  return vpdqFromView(await openMedia(readFileSync(join(DIR, 'videos', `${name}.mp4`))));
}

describe('vPDQ', () => {
  it('collapses consecutive duplicates and matches like upstream (quality filter, distinct hashes)', () => {
    const a = 'f'.repeat(64);
    const b = '0'.repeat(64);
    const frames: VpdqFrame[] = [a, a, b, b, a].map((hash, index) => ({ index, timeS: index, hash, quality: 100 }));
    expect(collapseConsecutive(frames).map((f) => f.index)).toEqual([0, 2, 4]);
    const low = frames.map((f) => ({ ...f, quality: 10 }));
    expect(vpdqMatch(frames, [frames[0]!])).toEqual({ queryMatchPercent: 50, targetMatchPercent: 100 });
    expect(vpdqMatch(low, frames)).toEqual({ queryMatchPercent: 0, targetMatchPercent: 0 });
  });

  it.skipIf(!existsSync(DIR))('per-frame hashes agree with upstream vPDQ hashes at the same timestamps', async () => {
    for (const name of ['chair-19-sd-bar', 'pattern-hd-no-bar']) {
      const mine = await ours(name);
      const expected = readExpected(name);
      // The media module's 1 fps sampler picks the last frame of each second's first half (ffmpeg's
      // fps filter), about 0.47 s after the timeS it reports, so compare with upstream's frames
      // within a second of it.
      const distances = mine.map((f) => Math.min(...expected.filter((e) => Math.abs(e.timeS - f.timeS) <= 1).map((e) => hammingHex(f.hash, e.hash))));
      console.log(name, 'frames', mine.length, 'distance to the nearest upstream frame within 1 s', distances.join(' '));
      for (const d of distances) expect(d, name).toBeLessThanOrEqual(31);
      const m = vpdqMatch(mine, expected);
      expect(m.queryMatchPercent, name).toBeGreaterThanOrEqual(90);
    }
  });

  it.skipIf(!existsSync(DIR))('matches variants of the same clip and not an unrelated clip', async () => {
    // chair-19 vs the sepia copy only reaches ~10 % at 1 fps although every one of its frames has a
    // match among upstream's all-frame hashes: those clips are time-shifted against each other and
    // one sample per second lands on different moments. Denser sampling fixes it (see report).
    const chair = await ours('chair-20-sd-bar');
    const sepia = await ours('chair-22-sd-sepia-bar');
    const door = await ours('doorknob-hd-no-bar');
    const same = vpdqMatch(chair, sepia);
    const other = vpdqMatch(chair, door);
    console.log('chair-20 vs sepia', same, 'chair-20 vs doorknob', other);
    expect(Math.min(same.queryMatchPercent, same.targetMatchPercent)).toBeGreaterThanOrEqual(70);
    expect(Math.max(other.queryMatchPercent, other.targetMatchPercent)).toBeLessThan(20);
  });
});
