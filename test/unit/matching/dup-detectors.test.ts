import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { crossAccountDetector, nearDuplicateDetector } from '../../../src/detectors/dup/near.ts';
import { referenceMatchDetector } from '../../../src/detectors/dup/ref.ts';
import { exactDuplicateDetector } from '../../../src/detectors/dup/exact.ts';
import type { BankMatch, DetectorContext, DetectorLookups, NearUpload } from '../../../src/detectors/types.ts';
import { loadConfig } from '../../../src/config/index.ts';
import { openMedia } from '../../../src/media/open.ts';
import { DEFAULT_POLICY } from '../../../src/policy/spec.ts';
import { evaluate } from '../../../src/policy/evaluate.ts';

const DOG = readFileSync('../shared/data/object-photos/dog.jpg');
const limits = loadConfig({ env: {} }).limits;
const at = new Date('2026-01-01T00:00:00Z');

const near = (contributorId: string | null, distance = 12): NearUpload => ({
  uploadId: `u-${contributorId}`,
  contributorId,
  receivedAt: at,
  decision: 'accept',
  sha256: 'other',
  distance,
  variant: 'rotate90',
});
const bank = (kind: BankMatch['bankKind']): BankMatch => ({
  bankId: `b-${kind}`,
  bankName: kind,
  bankKind: kind,
  entryId: 1,
  key: 'k.jpg',
  sourceUrl: 'https://example.com/k.jpg',
  source: null,
  distance: 4,
  variant: 'original',
});

async function run(lookups: Partial<DetectorLookups>, contributorId = 'me') {
  // A fresh view per run: the detectors memoise per view and lookups.
  const view = await openMedia(DOG, limits);
  const ctx: DetectorContext = {
    upload: { uploadId: 'self', contributorId, receivedAt: new Date() },
    lookups: { uploadsBySha256: async () => [], ...lookups },
    abort: new AbortController().signal,
  };
  const signals = (await Promise.all([exactDuplicateDetector, nearDuplicateDetector, crossAccountDetector, referenceMatchDetector].map((d) => d.detect(view, ctx)))).flat();
  return { signals, verdict: evaluate(DEFAULT_POLICY, signals).verdict };
}

describe('duplicate and bank detectors', () => {
  it('gives own and someone else\'s near copy different reasons', async () => {
    const own = await run({ nearUploadsByPdq: async () => [near('me')] });
    expect(own.signals.map((s) => s.code)).toEqual(['dup.near']);
    expect(own.verdict).toMatchObject({ decision: 'review', reasons: ['dup.near'] });
    expect(own.signals[0]?.evidence).toMatchObject({ same_contributor: true, distance: 12, variant: 'rotate90', earlier_decision: 'accept' });

    const other = await run({ nearUploadsByPdq: async () => [near('someone')] });
    expect(other.signals.map((s) => s.code)).toEqual(['dup.cross_account']);
    expect(other.verdict).toMatchObject({ decision: 'reject', reasons: ['dup.cross_account'] });
  });

  it('asks with all 8 dihedral variants at the upstream radius', async () => {
    let asked: number[] = [];
    await run({
      nearUploadsByPdq: async (queries, radius) => {
        asked = [queries.length, radius];
        return [];
      },
    });
    expect(asked).toEqual([8, 31]);
  });

  it('rejects internet, stock and fraud bank matches and lets an allow bank clear everything', async () => {
    for (const kind of ['internet', 'stock', 'fraud'] as const) {
      const r = await run({ bankMatchesByPdq: async () => [bank(kind)] });
      expect(r.verdict, kind).toMatchObject({ decision: 'reject', reasons: ['ref.match'] });
      expect(r.signals[0]?.evidence).toMatchObject({ bank_kind: kind, source_url: 'https://example.com/k.jpg', distance: 4 });
    }
    const allowed = await run({
      bankMatchesByPdq: async () => [bank('internet'), bank('allow')],
      nearUploadsByPdq: async () => [near('someone')],
      uploadsBySha256: async () => [near('someone')],
    });
    expect(allowed.signals.map((s) => [s.code, s.evidence?.['bank_kind']])).toEqual([['ref.match', 'allow']]);
    expect(allowed.verdict.decision).toBe('accept');
  });
});
