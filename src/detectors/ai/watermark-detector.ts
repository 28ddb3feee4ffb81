import type { MediaView } from '../../media/types.ts';
import type { Detector, DetectorContext, Signal } from '../types.ts';
import { matchPayloads, watermarkCapable, type WatermarkMatch } from './watermark.ts';

/**
 * `ai.invisible_watermark`: the Stable Diffusion reference watermark decoded from the pixels.
 * It needs the full-resolution raster (the mark lives in 8×8-pixel cells). Every block repeats the
 * payload, so a large photo is read from a band at its top of DECODED_PIXELS: the band's blocks are
 * the image's first ones, with the same payload positions, and each payload bit still gets hundreds of
 * votes (docs/eval-ai.md compares band and whole-image decoding on large photos). Stable Diffusion
 * outputs (0.25–1.5 MP) are read whole; a 12 MP photo costs a third of its decode instead of all of it.
 */

export const DECODED_PIXELS = 4_000_000;

/** Rows of the image to decode: all of them up to DECODED_PIXELS, else a band of whole 8-pixel block rows. */
export function watermarkRows(width: number, height: number): number {
  if (width * height <= DECODED_PIXELS) return height;
  return Math.min(height, Math.ceil(DECODED_PIXELS / width / 8) * 8);
}

/**
 * Errors tolerated per payload: 7 % of the bits (9 of 136, 3 of 48, 2 of 32); a random image matches
 * with probability below 1e-6. The complement of the payload counts too: 4:2:0 chroma subsampling
 * smooths the block maxima by about half a quantisation step, which flips every bit (measured in
 * docs/eval-ai.md), and an unmarked image is exactly as unlikely to decode to the complement.
 */
export function isWatermarkMatch(m: WatermarkMatch): boolean {
  const allowedErrors = Math.floor(m.length * 0.07);
  const errors = Math.round((1 - m.bitAccuracy) * m.length);
  return errors <= allowedErrors || m.length - errors <= allowedErrors;
}

export const invisibleWatermarkDetector: Detector = {
  name: 'ai.invisible_watermark',
  codes: ['ai.invisible_watermark'],
  kinds: ['image'],
  async detect(view: MediaView, _context: DetectorContext): Promise<Signal[]> {
    const { width, height } = view.info;
    if (!watermarkCapable(width, height)) return [];
    const matches = matchPayloads(await view.raster({ rows: watermarkRows(width, height) }));
    const strength = (m: WatermarkMatch): number => Math.max(m.bitAccuracy, 1 - m.bitAccuracy);
    const hit = matches.filter(isWatermarkMatch).sort((a, b) => strength(b) - strength(a))[0];
    if (!hit) return [];
    const inverted = hit.bitAccuracy < 0.5;
    return [
      {
        code: 'ai.invisible_watermark',
        score: 0.97,
        severity: 'high',
        message: `invisible watermark of ${hit.payload} decoded (${Math.round(strength(hit) * 100)} % of ${hit.length} bits match${inverted ? ', phase-inverted by re-encoding' : ''})`,
        evidence: { payload: hit.payload, bitAccuracy: strength(hit), inverted, bits: hit.length, method: 'dwtDct (imwatermark)' },
      },
    ];
  },
};
