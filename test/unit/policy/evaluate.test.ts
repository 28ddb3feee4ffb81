import { describe, expect, it } from 'vitest';
import type { Signal } from '../../../src/detectors/types.ts';
import { evaluate, verdictForMediaError } from '../../../src/policy/evaluate.ts';
import { combineScores } from '../../../src/policy/scores.ts';
import { DEFAULT_POLICY, buildPolicy, parsePolicySpec } from '../../../src/policy/spec.ts';

const signal = (code: string, score: number, severity: Signal['severity'], evidence?: Record<string, unknown>): Signal => ({
  code,
  score,
  severity,
  message: code,
  ...(evidence ? { evidence } : {}),
});

describe('default policy', () => {
  it('accepts a file with only informational signals', () => {
    const { verdict, scores } = evaluate(DEFAULT_POLICY, [signal('meta.summary', 0, 'info')]);
    expect(verdict).toEqual({ decision: 'accept', reasons: [], policy_version: 0 });
    expect(scores).toEqual({ ai_generated: 0, tampering: 0, copyright_risk: 0, duplicate: 0, quality: 1 });
  });

  it('sends a medium signal to review with its code as the reason (the DESIGN.md example)', () => {
    const { verdict, scores } = evaluate(DEFAULT_POLICY, [signal('meta.edit_software', 0.6, 'medium')]);
    expect(verdict.decision).toBe('review');
    expect(verdict.reasons).toEqual(['meta.edit_software']);
    expect(scores.tampering).toBe(0.6);
  });

  it('rejects an exact duplicate and lists reject reasons before review reasons', () => {
    const { verdict } = evaluate(DEFAULT_POLICY, [
      signal('meta.edit_software', 0.6, 'medium'),
      signal('dup.exact', 1, 'critical', { same_contributor: false }),
    ]);
    expect(verdict.decision).toBe('reject');
    expect(verdict.reasons).toEqual(['dup.exact', 'meta.edit_software']);
  });

  it('rejects blank images but only reviews a detector error', () => {
    expect(evaluate(DEFAULT_POLICY, [signal('quality.blank', 0.9, 'high')]).verdict.decision).toBe('reject');
    expect(evaluate(DEFAULT_POLICY, [signal('system.detector_error', 1, 'medium')]).verdict.decision).toBe('review');
  });

  it('combines independent evidence with noisy-OR and inverts quality', () => {
    const scores = combineScores([signal('meta.a', 0.5, 'medium'), signal('meta.b', 0.5, 'medium'), signal('quality.blurry', 0.4, 'medium')]);
    expect(scores.tampering).toBe(0.75);
    expect(scores.quality).toBe(0.6);
  });

  it('routes unreadable media by error code', () => {
    expect(verdictForMediaError(DEFAULT_POLICY, 'media.archive').decision).toBe('reject');
    expect(verdictForMediaError(DEFAULT_POLICY, 'media.corrupt').decision).toBe('review');
  });
});

describe('tenant policies', () => {
  it('run tenant rules before the defaults and keep the version', () => {
    const policy = buildPolicy(3, parsePolicySpec({ rules: [{ match: 'meta.*', action: 'ignore' }] }));
    const { verdict } = evaluate(policy, [signal('meta.edit_software', 0.9, 'high')]);
    expect(verdict).toEqual({ decision: 'accept', reasons: [], policy_version: 3 });
  });

  it('can make a score threshold reject on its own', () => {
    const policy = buildPolicy(1, parsePolicySpec({ score_thresholds: { tampering: { reject: 0.7 } } }));
    const { verdict } = evaluate(policy, [signal('meta.a', 0.5, 'low'), signal('meta.b', 0.5, 'low')]);
    expect(verdict.decision).toBe('reject');
    expect(verdict.reasons).toEqual(['score.tampering']);
  });

  it('rejects malformed policies with the path of each problem', () => {
    expect(() => parsePolicySpec({ rules: [{ match: 'Bad Code', action: 'explode' }] })).toThrow(/rules\.0\.match.*rules\.0\.action/s);
  });
});
