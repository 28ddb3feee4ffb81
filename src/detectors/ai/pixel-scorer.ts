import type { MediaView, Raster, RasterRequest } from '../../media/types.ts';
import type { Detector, DetectorContext, Signal } from '../types.ts';

/** What a pixel model says about one picture. */
export interface PixelScore {
  /** Probability 0..1 that the picture was generated. */
  probability: number;
  /** Model-specific detail for reviewers (top features, raw output). */
  evidence: Record<string, unknown>;
}

/**
 * A pixel-level AI detector behind `ai.classifier` and `ai.video_frames`: the shipped logistic model,
 * a retrained one, or a tenant's ONNX network. Stills and sampled video frames go through the same
 * scorer, so a swapped-in model covers both.
 */
export interface PixelScorer {
  /** `logreg default-2026-11-23`, `onnx tenant-v3`: shown in messages and evidence. */
  label: string;
  /** Probability at or above which a signal is emitted. */
  threshold: number;
  /**
   * Cap on the signal score. The default 0.5 keeps a classifier alone below the policy's reject
   * threshold (0.95), so it can only send an upload to review; a tenant that trusts its model raises it.
   */
  maxScore: number;
  /** `raster` is the picture at any size the model asks for; `bytes` are the file's (absent for video frames). */
  score(raster: (request: RasterRequest) => Promise<Raster>, bytes: Uint8Array | undefined): Promise<PixelScore>;
}

export const DEFAULT_MAX_SCORE = 0.5;

export function classifierSignal(scorer: PixelScorer, result: PixelScore): Signal[] {
  const p = result.probability;
  if (p < scorer.threshold) return [];
  const score = Math.min(scorer.maxScore, p);
  return [
    {
      code: 'ai.classifier',
      score,
      // Probabilistic evidence: near chance across generators for the shipped model (docs/EVAL.md).
      severity: score >= 0.9 ? 'high' : score > 0.5 ? 'medium' : 'low',
      message: `pixel statistics resemble AI-generated images (p = ${p.toFixed(2)}, model ${scorer.label})`,
      evidence: { probability: p, threshold: scorer.threshold, model: scorer.label, ...result.evidence },
    },
  ];
}

/** `ai.classifier` on stills (the first frame of an animation); videos get `ai.video_frames` instead. */
export function createPixelClassifierDetector(scorer: PixelScorer): Detector {
  return {
    name: 'ai.classifier',
    codes: ['ai.classifier'],
    kinds: ['image'],
    async detect(view: MediaView, _context: DetectorContext): Promise<Signal[]> {
      return classifierSignal(scorer, await scorer.score((request) => view.raster(request), view.bytes));
    },
  };
}
