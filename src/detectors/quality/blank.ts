import type { Detector, Signal } from '../types.ts';
import { logScore, luminanceStats, round3 } from './metrics.ts';
import { BLANK_RASTER_SIDE, BLANK_STD, fmt, fmtTime, lumaFrames, severityFor, toneName } from './shared.ts';

/**
 * `quality.blank`: a black, white or single-colour image, or blank frames in a video (lens covered,
 * phone in a pocket, a placeholder). A tiny raster suffices: a blank frame is blank at any size,
 * and 64 px averages sensor noise away.
 */
export const blankDetector: Detector = {
  name: 'quality.blank',
  codes: ['quality.blank'],
  kinds: ['image', 'video'],
  async detect(view, context) {
    const frames = await lumaFrames(view, BLANK_RASTER_SIDE, context.abort);
    const measured = frames.map((f) => {
      const s = luminanceStats(f.raster);
      // std 4 → 0.5; std 2 → 0.88; std 0 → 1; std 8 → 0.12.
      return { index: f.index, timeS: f.timeS, mean: s.mean, std: s.std, trimmedStd: s.trimmedStd, score: logScore(s.trimmedStd, BLANK_STD, 2, true) };
    });
    const blank = measured.filter((m) => m.trimmedStd <= BLANK_STD);
    if (blank.length === 0) return [];
    const worst = Math.max(...blank.map((m) => m.score));
    const meanOfBlank = blank.reduce((a, m) => a + m.mean, 0) / blank.length;
    const maxStd = Math.max(...blank.map((m) => m.trimmedStd));
    const evidence: Record<string, unknown> = {
      mean: round3(meanOfBlank),
      std: round3(maxStd),
      threshold: BLANK_STD,
      rasterSide: BLANK_RASTER_SIDE,
    };
    let signal: Signal;
    if (view.info.kind === 'image' || measured.length === 1) {
      signal = {
        code: 'quality.blank',
        score: worst,
        severity: severityFor(worst),
        message: `${view.info.kind === 'video' ? 'the only sampled frame' : 'image'} is ${toneName(meanOfBlank)}: luminance std-dev ${fmt(maxStd)} (blank at ≤ ${BLANK_STD}), mean ${fmt(meanOfBlank)}/255`,
        evidence,
      };
    } else {
      // A fade from black in the first sampled frame is common in real footage, so a partly blank
      // video scores lower than an entirely blank one, but every blank frame is still reported.
      const fraction = blank.length / measured.length;
      const score = round3(worst * (0.5 + 0.5 * fraction));
      const times = blank.slice(0, 8).map((m) => fmtTime(m.timeS)).join(', ') + (blank.length > 8 ? ', …' : '');
      const all = blank.length === measured.length;
      signal = {
        code: 'quality.blank',
        score,
        severity: all ? severityFor(score) : score >= 0.7 ? 'medium' : 'low',
        message: all
          ? `all ${measured.length} sampled frames are ${toneName(meanOfBlank)} (luminance std-dev ≤ ${fmt(maxStd)})`
          : `${blank.length} of ${measured.length} sampled frames are blank at ${times} (luminance std-dev ≤ ${fmt(maxStd)})`,
        evidence: {
          ...evidence,
          blankFrames: blank.map((m) => ({ index: m.index, timeS: m.timeS, mean: round3(m.mean), std: round3(m.trimmedStd) })),
          sampledFrames: measured.length,
          blankFraction: round3(fraction),
        },
      };
    }
    return [signal];
  },
};
