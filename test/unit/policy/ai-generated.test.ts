import { describe, expect, it } from 'vitest';
import type { Signal } from '../../../src/detectors/types.ts';
import { evaluate } from '../../../src/policy/evaluate.ts';
import { DEFAULT_POLICY } from '../../../src/policy/spec.ts';

const signal = (code: string, score: number, severity: Signal['severity']): Signal => ({ code, score, severity, message: code });

describe('default policy on AI evidence (scores.ai_generated)', () => {
  it('rejects on certain evidence: provenance, generator metadata, a generator named in video tags', () => {
    for (const s of [signal('ai.c2pa_generative', 0.98, 'critical'), signal('ai.generator_metadata', 0.98, 'high'), signal('ai.video_generator_tag', 0.95, 'high')]) {
      const { verdict, scores } = evaluate(DEFAULT_POLICY, [s]);
      expect(verdict.decision, s.code).toBe('reject');
      expect(verdict.reasons[0], s.code).toBe('score.ai_generated');
      expect(scores.ai_generated, s.code).toBe(s.score);
    }
  });

  it('sends the grey zone to review: every probabilistic signal at its cap, together, stays below reject', () => {
    const grey = [signal('ai.classifier', 0.5, 'low'), signal('ai.video_frames', 0.5, 'low'), signal('ai.video_generator_profile', 0.6, 'medium')];
    const { verdict, scores } = evaluate(DEFAULT_POLICY, grey);
    expect(scores.ai_generated).toBe(0.9);
    expect(verdict.decision).toBe('review');
    for (const s of grey) expect(evaluate(DEFAULT_POLICY, [s]).verdict.decision, s.code).toBe('review');
  });

  it('accepts a classifier score under the review threshold, and a valid capture lowers the AI score', () => {
    expect(evaluate(DEFAULT_POLICY, [signal('ai.classifier', 0.45, 'low')]).verdict.decision).toBe('accept');
    const capture = signal('provenance.c2pa_capture', 1, 'info');
    const { scores, verdict } = evaluate(DEFAULT_POLICY, [signal('ai.video_frames', 0.5, 'low'), capture]);
    expect(scores.ai_generated).toBe(0.1);
    expect(verdict.decision).toBe('accept');
  });
});
