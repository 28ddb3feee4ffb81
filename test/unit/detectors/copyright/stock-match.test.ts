import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stockMatchDetector } from '../../../../src/detectors/copyright/stock-match.ts';
import { referenceMatchDetector } from '../../../../src/detectors/dup/ref.ts';
import type { BankKind, BankMatch, DetectorLookups } from '../../../../src/detectors/types.ts';
import { openMedia } from '../../../../src/media/open.ts';
import { evaluate } from '../../../../src/policy/evaluate.ts';
import { DEFAULT_POLICY } from '../../../../src/policy/spec.ts';
import { HAS_DATA, photo } from '../task/helpers.ts';

const match = (bankKind: BankKind, distance = 6): BankMatch => ({
  bankId: `bank-${bankKind}`,
  bankName: `${bankKind}-previews`,
  bankKind,
  entryId: 7,
  key: 'previews/horses.jpg',
  sourceUrl: 'https://stock.example/photo/123',
  source: null,
  distance,
  variant: 'original',
});

function lookups(matches: BankMatch[]): DetectorLookups & { calls: number } {
  const l = {
    calls: 0,
    uploadsBySha256: async () => [],
    bankMatchesByPdq: async () => {
      l.calls++;
      return matches;
    },
  };
  return l;
}

describe.skipIf(!HAS_DATA)('copyright.stock_match', () => {
  const context = (l: DetectorLookups) => ({ upload: { receivedAt: new Date() }, lookups: l, abort: new AbortController().signal });

  it('restates a stock-bank match from the same search ref.match used, and the default policy rejects it', async () => {
    const view = await openMedia(readFileSync(photo('horses.jpg')));
    const l = lookups([match('stock'), match('internet', 20)]);
    const ref = await referenceMatchDetector.detect(view, context(l));
    const stock = await stockMatchDetector.detect(view, context(l));
    expect(l.calls).toBe(1);
    expect(stock).toEqual([
      expect.objectContaining({ code: 'copyright.stock_match', severity: 'high', score: 0.91, evidence: expect.objectContaining({ bank: 'stock-previews', distance: 6, source_url: 'https://stock.example/photo/123' }) }),
    ]);
    const { verdict, scores } = evaluate(DEFAULT_POLICY, [...ref, ...stock]);
    expect(verdict.decision).toBe('reject');
    expect(verdict.reasons).toContain('copyright.stock_match');
    // The one match counts once in copyright_risk; the internet match feeds the duplicate score.
    expect(scores.copyright_risk).toBe(0.91);
  });

  it('says nothing without a stock match, or when an allow bank clears the file', async () => {
    const view = await openMedia(readFileSync(photo('horses.jpg')));
    expect(await stockMatchDetector.detect(view, context(lookups([match('internet')])))).toEqual([]);
    expect(await stockMatchDetector.detect(view, context(lookups([match('stock'), match('allow', 2)])))).toEqual([]);
  });
});
