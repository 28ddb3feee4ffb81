import type { MediaFrame } from '../../media/types.ts';
import { classifyNsfw, NSFW_INPUT_SIDE, NSFW_MODEL, type NsfwProbabilities } from '../../vision/nsfw.ts';
import { pickFrames } from '../../vision/service.ts';
import type { Detector, Severity } from '../types.ts';

/** Videos: this many of the sampled frames, evenly spread (the model takes ~60–130 ms a frame on one core). */
export const NSFW_MAX_FRAMES = 4;
/** Explicit (Porn + Hentai) from this probability is reported; from the second value it is high. */
export const NSFW_EXPLICIT = 0.5;
export const NSFW_EXPLICIT_HIGH = 0.8;
/** Suggestive (Sexy) is reported, as low, only when the model is this sure: swimwear and gyms are not violations. */
export const NSFW_SUGGESTIVE = 0.8;

export type Classify = (frame: MediaFrame) => Promise<NsfwProbabilities>;

const classifyFrame: Classify = async (frame) => classifyNsfw(await frame.raster({ exact: { width: NSFW_INPUT_SIDE, height: NSFW_INPUT_SIDE } }));

const pct = (x: number): string => `${Math.round(x * 100)}%`;

/**
 * `content.nsfw`: nudity and sexual content by nsfwjs (Drawing / Hentai / Neutral / Porn / Sexy). A tenant's
 * policy turns it on (`checks.nsfw`, the deployment's default from TOLLGATE_NSFW), and the model loads on the
 * first upload that needs it. The worst sampled frame decides for videos.
 */
export function createNsfwDetector(classify: Classify = classifyFrame): Detector {
  return {
    name: 'content.nsfw',
    codes: ['content.nsfw'],
    kinds: ['image', 'video'],
    check: 'nsfw',
    // The first call loads the WASM backend and the model (~1–4 s on a busy core).
    timeoutMs: 30_000,
    async detect(view, context) {
      const frames = pickFrames(await view.frames(), NSFW_MAX_FRAMES);
      const scored: Array<{ index: number; timeS: number; p: NsfwProbabilities }> = [];
      for (const frame of frames) {
        context.abort.throwIfAborted();
        scored.push({ index: frame.index, timeS: frame.timeS, p: await classify(frame) });
      }
      const explicit = (p: NsfwProbabilities): number => p.Porn + p.Hentai;
      const worst = scored.reduce((a, b) => (explicit(b.p) > explicit(a.p) || (explicit(b.p) === explicit(a.p) && b.p.Sexy > a.p.Sexy) ? b : a));
      const e = explicit(worst.p);
      let severity: Severity;
      let what: string;
      if (e >= NSFW_EXPLICIT) {
        severity = e >= NSFW_EXPLICIT_HIGH ? 'high' : 'medium';
        what = `explicit content (porn ${pct(worst.p.Porn)}, hentai ${pct(worst.p.Hentai)})`;
      } else if (worst.p.Sexy >= NSFW_SUGGESTIVE) {
        severity = 'low';
        what = `suggestive content (sexy ${pct(worst.p.Sexy)})`;
      } else return [];
      const where = view.info.kind === 'video' ? ` in the frame at ${worst.timeS.toFixed(1)}s (${scored.length} frames checked)` : '';
      return [
        {
          code: 'content.nsfw',
          score: Math.round(Math.max(e, severity === 'low' ? worst.p.Sexy * 0.6 : 0) * 1000) / 1000,
          severity,
          message: `nsfw model sees ${what}${where}`,
          evidence: { model: NSFW_MODEL, probabilities: worst.p, frame: worst.index, ...(view.info.kind === 'video' ? { frames: scored.map((s) => ({ index: s.index, timeS: s.timeS, ...s.p })) } : {}) },
        },
      ];
    },
  };
}

export const nsfwDetector: Detector = createNsfwDetector();
