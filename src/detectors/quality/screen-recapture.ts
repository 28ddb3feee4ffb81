import type { MediaView } from '../../media/types.ts';
import type { DetectedFace, FaceCheckService } from '../../vision/service.ts';
import type { Detector } from '../types.ts';
import { logScore, round3 } from './metrics.ts';
import { fmt, severityFor } from './shared.ts';
import { centreBlock, logSpectrum, spectralPeaks, type SpectralPeak } from './spectrum.ts';

/** The spectrum is taken on the centre 512×512 block of this raster, where a screen's grid still shows. */
export const RECAPTURE_RASTER_SIDE = 1024;
/**
 * Peak prominence (3×3 mean log-magnitude above its neighbourhood ring) at which moiré is reported.
 * Calibrated in eval/quality-calibration.ts (docs/eval-quality.md): real photos peak at ≤ 1.56, most
 * simulated recaptures of them at 1.6–3.4; ruled paper and charts (periodic by design) reach it too,
 * and peaks that sit in a harmonic series are set aside (LINE_SERIES_LIMIT).
 */
export const MOIRE_THRESHOLD = 1.6;
/**
 * A peak whose harmonic series (`SpectralPeak.series`) reaches this belongs to lines or a grid in the picture
 * itself and is not counted as moiré. Calibrated in eval/quality-calibration.ts: simulated recaptures' peaks
 * at or above MOIRE_THRESHOLD reach at most 0.83, a chart's gridlines 3.1, a notebook page's rules 1.46.
 */
export const LINE_SERIES_LIMIT = 1.0;
/** From here the face check is worth its cost (~1/5 of a task analysis): about one photo in ten gets there. */
export const FACE_CHECK_FROM = 1.3;
/** A face the anti-spoof model scores below this is shown on a screen or print. */
export const SPOOF_REAL_BELOW = 0.5;
/** Log-odds the face check adds (spoof) or removes (real). */
const SPOOF_WEIGHT = 1.5;
const REAL_WEIGHT = 0.75;

export interface RecaptureMeasure {
  /** Candidate moiré peaks, strongest first: off-axis peaks that are not harmonics of the picture's own lines. */
  peaks: SpectralPeak[];
  /** Peaks set aside as the picture's own line or grid structure. */
  ownLines: SpectralPeak[];
  prominence: number;
}

export async function measureMoire(view: MediaView): Promise<RecaptureMeasure | null> {
  const luma = await view.raster({ maxSide: RECAPTURE_RASTER_SIDE, channels: 1 });
  const block = centreBlock(luma);
  if (!block) return null;
  const all = spectralPeaks(logSpectrum(block.block, block.n), block.n);
  const peaks = all.filter((p) => p.series < LINE_SERIES_LIMIT);
  return { peaks, ownLines: all.filter((p) => p.series >= LINE_SERIES_LIMIT), prominence: peaks[0]?.prominence ?? 0 };
}

export interface ScreenRecaptureOptions {
  /** Anti-spoof check of faces; without it only the spectrum decides. */
  faces?: () => FaceCheckService;
}

/**
 * `quality.screen_recapture`: a photo of a screen (a contributor re-photographing someone else's picture
 * or video). The screen's pixel grid beats with the camera's and leaves moiré: isolated strong peaks in
 * the spectrum. When the spectrum is suspicious and the image has a face, human's anti-spoofing model
 * (trained on faces shown on screens and prints) moves the score up or down.
 */
export function createScreenRecaptureDetector(options: ScreenRecaptureOptions = {}): Detector {
  return {
    name: 'quality.screen_recapture',
    codes: ['quality.screen_recapture'],
    kinds: ['image'],
    async detect(view) {
      const m = await measureMoire(view);
      if (!m || m.prominence < FACE_CHECK_FROM) return [];
      const moire = logScore(m.prominence, MOIRE_THRESHOLD, 1.2, false);
      const faces: DetectedFace[] = options.faces ? await options.faces().faceCheck(view) : [];
      const checked = faces.filter((f) => f.real !== undefined);
      const spoofed = checked.filter((f) => f.real! < SPOOF_REAL_BELOW);
      const logit = Math.log(moire / (1 - moire)) + (checked.length === 0 ? 0 : spoofed.length > 0 ? SPOOF_WEIGHT : -REAL_WEIGHT);
      const score = round3(1 / (1 + Math.exp(-logit)));
      if (score < 0.5) return [];
      const top = m.peaks[0]!;
      const faceNote =
        checked.length === 0
          ? ''
          : spoofed.length > 0
            ? `; the anti-spoof model scores ${spoofed.length} of ${checked.length} faces as shown on a screen (real ${fmt(Math.min(...spoofed.map((f) => f.real!)), 2)})`
            : `; the anti-spoof model scores the ${checked.length === 1 ? 'face' : `${checked.length} faces`} as real`;
      return [
        {
          code: 'quality.screen_recapture',
          score,
          severity: severityFor(score),
          message: `looks like a photo of a screen: moiré peak ${fmt(top.prominence, 2)} above its surroundings at ${fmt(top.radius * 100, 0)}% of the sampling limit (reported from ${MOIRE_THRESHOLD}; camera photos stay under ${MOIRE_THRESHOLD})${faceNote}`,
          evidence: {
            prominence: m.prominence,
            threshold: MOIRE_THRESHOLD,
            peaks: m.peaks.slice(0, 3),
            ...(m.ownLines.length > 0 ? { own_lines: m.ownLines.slice(0, 3) } : {}),
            ...(checked.length > 0 ? { faces: checked.map((f) => ({ box: f.box, real: f.real, live: f.live })) } : {}),
          },
        },
      ];
    },
  };
}
