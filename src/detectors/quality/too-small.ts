import type { Detector } from '../types.ts';
import { round3 } from './metrics.ts';
import { fmt } from './shared.ts';

export interface TooSmallOptions {
  /** Shorter display side below this is too small. Default 256. */
  minShortSide?: number;
  /** Width × height below this is too small. Default 65 536 (256²); raise it for training-data tenants. */
  minPixels?: number;
}

export const DEFAULT_TOO_SMALL: Required<TooSmallOptions> = { minShortSide: 256, minPixels: 256 * 256 };

/**
 * `quality.too_small`: thumbnails, icons and downscaled copies carry too little signal to license,
 * and are a typical sign of a file saved from a web page. Uses the header size, no decoding.
 */
export function createTooSmallDetector(options: TooSmallOptions = {}): Detector {
  const { minShortSide, minPixels } = { ...DEFAULT_TOO_SMALL, ...options };
  return {
    name: 'quality.too_small',
    codes: ['quality.too_small'],
    kinds: ['image', 'video'],
    async detect(view) {
      const { width, height } = view.info;
      const shortSide = Math.min(width, height);
      const pixels = width * height;
      const ratio = Math.min(shortSide / minShortSide, pixels / minPixels);
      if (ratio >= 1) return [];
      // Just under the limit → 0.5, half the limit → 0.75, nothing → 1.
      const score = round3(0.5 + 0.5 * (1 - Math.max(0, ratio)));
      const reasons: string[] = [];
      if (shortSide < minShortSide) reasons.push(`short side ${shortSide} px < ${minShortSide} px`);
      if (pixels < minPixels) reasons.push(`${fmt(pixels / 1e6, 3)} MP < ${fmt(minPixels / 1e6, 3)} MP`);
      return [
        {
          code: 'quality.too_small',
          score,
          severity: ratio < 0.25 ? 'high' : ratio < 0.5 ? 'medium' : 'low',
          message: `${view.info.kind} is ${width}×${height}: ${reasons.join(', ')}`,
          evidence: { width, height, shortSide, pixels, minShortSide, minPixels },
        },
      ];
    },
  };
}

export const tooSmallDetector: Detector = createTooSmallDetector();
