import { describe, expect, it } from 'vitest';
import { openMedia } from '../../../../src/media/open.ts';
import { createScreenRecaptureDetector, LINE_SERIES_LIMIT, measureMoire, MOIRE_THRESHOLD } from '../../../../src/detectors/quality/index.ts';
import { centreBlock, logSpectrum, spectralPeaks } from '../../../../src/detectors/quality/spectrum.ts';
import { HumanVisionService } from '../../../../src/vision/service.ts';
import { makeRecapture, RECAPTURE_SETTINGS } from '../../../support/screens.ts';
import { data, HAS_DATA, run } from './helpers.ts';

const PHOTOS = ['dog', 'person', 'horses', 'kite', 'eagle', 'giraffe'].map((n) => `object-photos/${n}.jpg`);

describe('spectral peaks', () => {
  it('finds a planted off-axis grating at its frequency and nothing prominent in noise', () => {
    const n = 256;
    const grating = new Float64Array(n * n);
    const noise = new Float64Array(n * n);
    // mulberry32: a plain LCG's low bits are periodic and would plant peaks of their own.
    let seed = 1;
    const rand = (): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        noise[y * n + x] = 128 + 60 * (rand() - 0.5);
        grating[y * n + x] = noise[y * n + x]! + 20 * Math.cos((2 * Math.PI * (40 * x + 25 * y)) / n);
      }
    }
    const [top] = spectralPeaks(logSpectrum(grating, n), n);
    expect(Math.abs(top!.u)).toBe(40);
    expect(Math.abs(top!.v)).toBe(25);
    expect(top!.prominence).toBeGreaterThan(MOIRE_THRESHOLD);
    expect(spectralPeaks(logSpectrum(noise, n), n)[0]!.prominence).toBeLessThan(MOIRE_THRESHOLD);
    // A sinusoid has no harmonics: nothing says it is the picture's own lines.
    expect(top!.series).toBeLessThan(LINE_SERIES_LIMIT);
  });

  it('tells ruled lines from moiré by their series of harmonics', () => {
    const n = 256;
    const ruled = new Float64Array(n * n);
    // Thin dark rules every 20 px at 60°: like a page photographed askew, prominent peaks off the axes.
    const [cx, cy] = [Math.cos(Math.PI / 3), Math.sin(Math.PI / 3)];
    for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) ruled[y * n + x] = (x * cx + y * cy) % 20 < 2 ? 60 : 220;
    const peaks = spectralPeaks(logSpectrum(ruled, n), n);
    expect(peaks[0]!.prominence).toBeGreaterThan(MOIRE_THRESHOLD);
    for (const p of peaks.filter((q) => q.prominence >= MOIRE_THRESHOLD)) expect(p.series, JSON.stringify(p)).toBeGreaterThanOrEqual(LINE_SERIES_LIMIT);
  });

  it('needs a block of at least 128 px', () => {
    expect(centreBlock({ width: 100, height: 400, channels: 1, data: new Uint8Array(40_000) })).toBeNull();
    expect(centreBlock({ width: 700, height: 400, channels: 1, data: new Uint8Array(280_000) })!.n).toBe(256);
  });
});

describe.skipIf(!HAS_DATA)('quality.screen_recapture', () => {
  const detector = createScreenRecaptureDetector();

  it('flags most simulated photos of an LCD showing real photos, and none of the photos themselves', async () => {
    const missed: string[] = [];
    let cases = 0;
    for (const rel of PHOTOS) {
      const original = await openMedia(data(rel));
      expect(await run(detector, original), rel).toEqual([]);
      const before = (await measureMoire(original))!.prominence;
      for (const setting of RECAPTURE_SETTINGS) {
        cases++;
        const view = await openMedia(await makeRecapture(data(rel), setting));
        const signals = await run(detector, view);
        if (signals.length === 0) missed.push(`${rel} on ${setting.name}`);
        else expect(signals[0]!.message).toMatch(/moiré peak/);
        // The screen always adds periodic energy, even where it stays under the threshold.
        expect((await measureMoire(view))!.prominence, `${rel} on ${setting.name}`).toBeGreaterThan(before);
      }
    }
    // docs/eval-quality.md lists which settings slip through (a dense screen shot from far, at 1.1 px per pixel).
    expect(missed.length, missed.join('\n')).toBeLessThanOrEqual(Math.floor(cases * 0.25));
  }, 120_000);

  it('leaves a chart alone: its gridlines are a lattice of its own, not moiré', async () => {
    const chart = await openMedia(data('immich-test-assets/formats/png/density_plot.png'));
    const measure = (await measureMoire(chart))!;
    expect(measure.prominence).toBeLessThan(MOIRE_THRESHOLD);
    expect(measure.ownLines[0]!.prominence).toBeGreaterThan(MOIRE_THRESHOLD);
    expect(await run(detector, chart)).toEqual([]);
  });

  it('with the face check, reports the anti-spoof scores of the faces it saw', async () => {
    const service = new HumanVisionService();
    const withFaces = createScreenRecaptureDetector({ faces: () => service });
    const view = await openMedia(await makeRecapture(data('immich-test-assets/metadata/faces/portrait.jpg'), RECAPTURE_SETTINGS[0]!));
    const faces = await service.faceCheck(view);
    expect(faces.length).toBeGreaterThan(0);
    for (const f of faces) {
      expect(f.real).toBeGreaterThanOrEqual(0);
      expect(f.real).toBeLessThanOrEqual(1);
      expect(f.live).toBeGreaterThanOrEqual(0);
    }
    const [signal] = await run(withFaces, view);
    expect(signal?.code).toBe('quality.screen_recapture');
    expect((signal!.evidence as { faces: unknown[] }).faces).toHaveLength(faces.length);
    expect(signal!.message).toMatch(/anti-spoof model scores/);
  }, 120_000);
});
