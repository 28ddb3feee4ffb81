import { describe, expect, it } from 'vitest';
import type { Signal } from '../../../src/detectors/types.ts';
import { evaluate } from '../../../src/policy/evaluate.ts';
import { DEFAULT_POLICY } from '../../../src/policy/spec.ts';

const signal = (code: string, score: number, severity: Signal['severity'], evidence?: Record<string, unknown>): Signal => ({ code, score, severity, message: code, ...(evidence ? { evidence } : {}) });

describe('default policy on copyright risk', () => {
  it('rejects an agency watermark, reviews a bare copyright notice in the picture', () => {
    expect(evaluate(DEFAULT_POLICY, [signal('copyright.watermark_text', 0.93, 'high', { agency: 'Shutterstock' })]).verdict).toMatchObject({
      decision: 'reject',
      reasons: ['copyright.watermark_text'],
    });
    expect(evaluate(DEFAULT_POLICY, [signal('copyright.watermark_text', 0.6, 'medium', { agency: null })]).verdict.decision).toBe('review');
  });

  it('reviews third-party rights metadata (an agency named included) and accepts a camera owner name', () => {
    expect(evaluate(DEFAULT_POLICY, [signal('copyright.rights_metadata', 0.9, 'high', { agency: 'Getty Images' })]).verdict.decision).toBe('review');
    expect(evaluate(DEFAULT_POLICY, [signal('copyright.rights_metadata', 0.6, 'medium')]).verdict.decision).toBe('review');
    const low = evaluate(DEFAULT_POLICY, [signal('copyright.rights_metadata', 0.3, 'low')]);
    expect(low.verdict.decision).toBe('accept');
    expect(low.scores.copyright_risk).toBe(0.3);
  });

  it('combines independent copyright evidence into scores.copyright_risk', () => {
    const { scores } = evaluate(DEFAULT_POLICY, [signal('copyright.watermark_text', 0.9, 'high'), signal('copyright.rights_metadata', 0.6, 'medium')]);
    expect(scores.copyright_risk).toBe(0.96);
    // Without copyright.stock_match (e.g. a local-feature stock match), ref.match still counts.
    expect(evaluate(DEFAULT_POLICY, [signal('ref.match', 0.8, 'high', { bank_kind: 'stock' })]).scores.copyright_risk).toBe(0.8);
  });
});
