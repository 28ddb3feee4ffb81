import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bitsToHex, hammingBigInt, hammingHex, hexToBigInt, hexToWords, popcount32, wordsToHex } from '../../../src/fingerprint/bits.ts';
import { IdTable } from '../../../src/fingerprint/id-table.ts';

describe('bit utilities', () => {
  it('popcount32 agrees with a bit loop', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (x) => {
      let n = 0;
      for (let v = x; v; v = Math.floor(v / 2)) n += v % 2;
      expect(popcount32(x)).toBe(n);
    }));
  });

  it('round-trips hex and agrees across word and bigint distances', () => {
    const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);
    fc.assert(fc.property(hex64, hex64, (a, b) => {
      expect(wordsToHex(hexToWords(a))).toBe(a);
      expect(hammingHex(a, b)).toBe(hammingBigInt(hexToBigInt(a), hexToBigInt(b)));
      expect(hammingHex(a, a)).toBe(0);
    }));
    expect(hammingHex('ffffffffffffffff', '0000000000000000')).toBe(64);
    expect(bitsToHex([1, 0, 0, 0, 0, 0, 0, 1])).toBe('81');
  });

  it('rejects malformed hex', () => {
    expect(() => hexToWords('xyz12345')).toThrow();
    expect(() => hammingHex('00000000', '0000000000000000')).toThrow();
    expect(() => hammingHex('12zz5678', '12005678')).toThrow();
  });

  it('IdTable behaves like a Map under random set/delete', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 300 }), fc.nat(1000)), { maxLength: 2000 }), (ops) => {
      const t = new IdTable(4);
      const m = new Map<number, number>();
      for (const [del, id, v] of ops) {
        if (del) expect(t.delete(id)).toBe(m.delete(id));
        else {
          t.set(id, v);
          m.set(id, v);
        }
      }
      expect(t.size).toBe(m.size);
      for (let id = 0; id <= 300; id++) expect(t.get(id)).toBe(m.get(id) ?? -1);
    }));
  });
});
