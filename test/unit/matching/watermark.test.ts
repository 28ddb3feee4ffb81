import { describe, expect, it } from 'vitest';
import { Watermark } from '../../../src/matching/watermark.ts';

describe('Watermark', () => {
  it('remembers ids jumped over until they appear', () => {
    const w = new Watermark();
    for (const id of [1, 2, 5]) w.observe(id, 0);
    expect(w.high).toBe(5);
    expect(w.pending(0).sort()).toEqual([3, 4]);
    w.observe(4, 1);
    expect(w.pending(1)).toEqual([3]);
  });

  it('forgets gaps after their time to live (a rolled-back insert never appears)', () => {
    const w = new Watermark(1_000);
    w.observe(3, 0);
    expect(w.pending(500)).toEqual([1, 2]);
    expect(w.pending(2_000)).toEqual([]);
  });

  it('does not track an implausibly wide jump id by id', () => {
    const w = new Watermark(60_000, 100);
    w.observe(1_000_000, 0);
    expect(w.gapCount).toBe(0);
    expect(w.high).toBe(1_000_000);
  });
});
