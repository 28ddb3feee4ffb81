import type { Signal } from '../detectors/types.ts';
import type { ScoreName } from './spec.ts';

export type Scores = Record<ScoreName, number>;

/** Which combined score a signal feeds. Info-only and system signals feed none. */
function scoreOf(signal: Signal, stockCarried: boolean): ScoreName | null {
  const family = signal.code.split('.')[0];
  if (signal.severity === 'info') return null;
  switch (family) {
    case 'ai':
      return 'ai_generated';
    case 'meta':
      return 'tampering';
    case 'copyright':
      return 'copyright_risk';
    case 'dup':
      return 'duplicate';
    case 'ref':
      // copyright.stock_match restates a PDQ stock match: counting both would add the evidence to itself.
      if (signal.evidence?.['bank_kind'] !== 'stock') return 'duplicate';
      return stockCarried ? null : 'copyright_risk';
    case 'quality':
      return 'quality';
    default:
      return null;
  }
}

/**
 * Combines signals into the five scores of the contract. `copyright_risk` gathers `copyright.*`: agency
 * watermark text (0.9+), a stock-bank match (1 − distance/64), rights metadata (0.3 camera fields,
 * 0.6–0.7 third-party notices, 0.9 an agency named). Independent pieces of evidence add up
 * (noisy-OR), so two medium signals score higher than either alone. `quality` is 1 for a clean
 * file and falls with each quality problem. Positive provenance lowers the AI score.
 */
export function combineScores(signals: readonly Signal[]): Scores {
  const risk: Record<ScoreName, number> = { ai_generated: 0, tampering: 0, copyright_risk: 0, duplicate: 0, quality: 0 };
  const stockCarried = signals.some((s) => s.code === 'copyright.stock_match');
  for (const signal of signals) {
    const name = scoreOf(signal, stockCarried);
    if (!name) continue;
    risk[name] = 1 - (1 - risk[name]) * (1 - signal.score);
  }
  const capture = signals.find((s) => s.code === 'provenance.c2pa_capture');
  if (capture) risk.ai_generated *= 1 - 0.8 * capture.score;
  return {
    ai_generated: round(risk.ai_generated),
    tampering: round(risk.tampering),
    copyright_risk: round(risk.copyright_risk),
    duplicate: round(risk.duplicate),
    quality: round(1 - risk.quality),
  };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
