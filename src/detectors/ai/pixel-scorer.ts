import type { MediaView, Raster, RasterRequest } from '../../media/types.ts';
import type { Detector, DetectorContext, Signal } from '../types.ts';
import { cameraNativeEvidence, type CameraNativeEvidence } from './camera-native.ts';

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

/**
 * A discounted classifier signal stays in the report for reviewers at severity info, which the default
 * policy ignores and scores.ai_generated leaves out; a tenant rule on `evidence.discounted` can undo it.
 */
export const DISCOUNTED_SCORE = 0.25;

/**
 * At or above this probability camera-native structure does not discount the classifier: the structure
 * can be forged by someone who knows it, and no honest camera original in the shared data scores this high.
 */
export const UNDISCOUNTED_PROBABILITY = 0.99;

export function classifierSignal(scorer: PixelScorer, result: PixelScore, camera?: CameraNativeEvidence): Signal[] {
  const p = result.probability;
  if (p < scorer.threshold) return [];
  const capped = Math.min(scorer.maxScore, p);
  const evidence = { probability: p, threshold: scorer.threshold, model: scorer.label, ...result.evidence };
  const message = `pixel statistics resemble AI-generated images (p = ${p.toFixed(2)}, model ${scorer.label})`;
  // Only weak models are discounted: a tenant that raised maxScore trusts its model against any file.
  if (camera?.native && p < UNDISCOUNTED_PROBABILITY && scorer.maxScore <= DEFAULT_MAX_SCORE) {
    return [
      {
        code: 'ai.classifier',
        score: Math.min(capped, DISCOUNTED_SCORE),
        severity: 'info',
        message: `${message}; discounted: the file is structured the way a camera writes it (${camera.found.join('; ')})`,
        evidence: { ...evidence, discounted: true, cameraEvidence: camera.found },
      },
    ];
  }
  return [
    {
      code: 'ai.classifier',
      score: capped,
      // Probabilistic evidence: near chance across generators for the shipped model (docs/EVAL.md).
      severity: capped >= 0.9 ? 'high' : capped > 0.5 ? 'medium' : 'low',
      message,
      evidence: { ...evidence, ...(camera?.native ? { discounted: false, cameraEvidence: camera.found } : {}) },
    },
  ];
}

/**
 * `ai.classifier` on stills (the first frame of an animation); videos get `ai.video_frames` instead.
 * Camera-native structure is read only when the model fires, so clean files pay nothing for it.
 */
export function createPixelClassifierDetector(scorer: PixelScorer): Detector {
  return {
    name: 'ai.classifier',
    codes: ['ai.classifier'],
    kinds: ['image'],
    async detect(view: MediaView, _context: DetectorContext): Promise<Signal[]> {
      const result = await scorer.score((request) => view.raster(request), view.bytes);
      if (result.probability < scorer.threshold) return [];
      return classifierSignal(scorer, result, await cameraNativeEvidence(view));
    },
  };
}
