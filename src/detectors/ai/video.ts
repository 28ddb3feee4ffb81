import type { MediaView } from '../../media/types.ts';
import type { Detector, DetectorContext, Signal } from '../types.ts';
import type { GeneratorFinding } from './generators.ts';
import type { PixelScorer } from './pixel-scorer.ts';
import { containerTagFindings, profileFactors, profileScore, readWebpAnimation, videoTiming } from './video-evidence.ts';

/** Sampled frames scored by the pixel model at most: enough for a stable median, bounded cost. */
export const MAX_SCORED_FRAMES = 8;

/**
 * `ai.video_*`: AI-generated videos and animated images (WebP/GIF).
 * - `ai.video_generator_tag`: a generator named in the container or stream tags (near-certain);
 * - `ai.video_generator_profile`: generator-typical size, frame rate, frame count, no audio (circumstantial);
 * - `ai.video_frames`: the pixel model on sampled frames, aggregated by the median (probabilistic).
 * Stills are left to `ai.classifier`; an animation's embedded metadata to `ai.generator_metadata`.
 */
export function createAiVideoDetector(scorer: PixelScorer | null): Detector {
  return {
    name: 'ai.video',
    codes: ['ai.video_generator_tag', 'ai.video_generator_profile', 'ai.video_frames'],
    kinds: ['video', 'image'],
    async detect(view: MediaView, context: DetectorContext): Promise<Signal[]> {
      const { info } = view;
      if (info.kind === 'image' && info.frameCount <= 1) return [];
      const what = info.kind === 'video' ? 'video' : `animated ${info.format.toUpperCase()}`;
      const signals: Signal[] = [];
      if (info.kind === 'video') {
        const tag = tagSignal(containerTagFindings(await view.metadata()));
        if (tag) signals.push(tag);
      }
      const timing = videoTiming(info, info.format === 'webp' ? readWebpAnimation(view.bytes) : null);
      const factors = profileFactors(info.width, info.height, timing);
      if (factors.length > 0) {
        const score = profileScore(factors);
        signals.push({
          code: 'ai.video_generator_profile',
          score,
          severity: score >= 0.5 ? 'medium' : 'low',
          message: `${what} has the profile of generator output: ${factors.map((f) => f.detail).join('; ')}`,
          evidence: {
            factors: factors.map((f) => f.name),
            width: info.width,
            height: info.height,
            ...(timing.fps !== undefined ? { fps: Math.round(timing.fps * 100) / 100 } : {}),
            frameCount: timing.frameCount,
            ...(timing.durationS !== undefined ? { durationS: Math.round(timing.durationS * 100) / 100 } : {}),
            ...(timing.hasAudio !== undefined ? { hasAudio: timing.hasAudio } : {}),
          },
        });
      }
      if (scorer) {
        const frames = await framesSignal(view, scorer, context.abort, what);
        if (frames) signals.push(frames);
      }
      return signals;
    },
  };
}

function tagSignal(findings: GeneratorFinding[]): Signal | null {
  const best = [...findings].sort((a, b) => Number(b.model !== undefined) - Number(a.model !== undefined))[0];
  if (!best) return null;
  // Generation parameters (a ComfyUI graph) are near-proof; a tool name can be typed by anyone.
  const structured = best.model !== undefined || best.prompt !== undefined;
  const score = structured ? 0.98 : 0.95;
  return {
    code: 'ai.video_generator_tag',
    score,
    severity: 'high',
    message: `the video's container tags say it was made by ${best.generator}${best.model ? ` (model ${best.model})` : ''}, found in ${best.source}`,
    evidence: {
      generator: best.generator,
      ...(best.model ? { model: best.model } : {}),
      ...(best.prompt ? { prompt: best.prompt } : {}),
      source: best.source,
      sources: findings.map((f) => `${f.generator} @ ${f.source}`),
    },
  };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** Median over evenly spaced sampled frames: one odd frame (a cut, a title card) cannot flip the result. */
async function framesSignal(view: MediaView, scorer: PixelScorer, abort: AbortSignal, what: string): Promise<Signal | null> {
  const all = await view.frames();
  const step = Math.max(1, all.length / MAX_SCORED_FRAMES);
  const picked = Array.from({ length: Math.min(all.length, MAX_SCORED_FRAMES) }, (_, i) => all[Math.floor(i * step)]).filter((f) => f !== undefined);
  const probabilities: number[] = [];
  for (const frame of picked) {
    if (abort.aborted) return null;
    probabilities.push((await scorer.score((request) => frame.raster(request), undefined)).probability);
  }
  if (probabilities.length === 0) return null;
  const p = median(probabilities);
  if (p < scorer.threshold) return null;
  const flagged = probabilities.filter((q) => q >= scorer.threshold).length;
  const score = Math.min(scorer.maxScore, p);
  return {
    code: 'ai.video_frames',
    score,
    severity: score >= 0.9 ? 'high' : score > 0.5 ? 'medium' : 'low',
    message: `${flagged} of ${probabilities.length} sampled frames of the ${what} resemble AI-generated images (median p = ${p.toFixed(2)}, model ${scorer.label})`,
    evidence: {
      medianProbability: Math.round(p * 1000) / 1000,
      framesScored: probabilities.length,
      framesFlagged: flagged,
      probabilities: probabilities.map((q) => Math.round(q * 1000) / 1000),
      threshold: scorer.threshold,
      model: scorer.label,
    },
  };
}
