/**
 * The generated-case half of the quality calibration (eval/quality-calibration.ts): black, frozen, blurred,
 * screenshot and screen-recapture cases built from the same real photos, each run through every quality
 * detector, plus the screenshot and moiré measures on the real photos themselves.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { toolPath } from '../src/media/ffmpeg.ts';
import { openMedia } from '../src/media/open.ts';
import type { MediaView } from '../src/media/types.ts';
import { NO_LOOKUPS, type DetectorContext, type Signal } from '../src/detectors/types.ts';
import {
  LINE_SERIES_LIMIT,
  measureMoire,
  MOIRE_THRESHOLD,
  qualityDetectors,
  SCREENSHOT_MIN_SCORE,
  SCREENSHOT_RASTER_SIDE,
  screenshotEvidence,
} from '../src/detectors/quality/index.ts';
import { makeRecapture, makeScreenshot, RECAPTURE_SETTINGS, SCREENSHOT_LAYOUTS } from '../test/support/screens.ts';

const context: DetectorContext = { upload: { receivedAt: new Date(0) }, lookups: NO_LOOKUPS, abort: new AbortController().signal };

async function signalsOf(view: MediaView): Promise<Signal[]> {
  return (await Promise.all(qualityDetectors.filter((d) => d.kinds.includes(view.info.kind)).map((d) => d.detect(view, context)))).flat();
}

interface CaseRow {
  kind: string;
  target: string;
  n: number;
  hit: number;
  missed: string[];
  /** Other quality codes raised on these cases, with counts. */
  others: Map<string, number>;
}

async function record(row: CaseRow, label: string, view: MediaView): Promise<void> {
  const signals = await signalsOf(view);
  row.n++;
  if (signals.some((s) => s.code === row.target)) row.hit++;
  else row.missed.push(label);
  for (const s of signals) if (s.code !== row.target) row.others.set(s.code, (row.others.get(s.code) ?? 0) + 1);
}

const newRow = (kind: string, target: string): CaseRow => ({ kind, target, n: 0, hit: 0, missed: [], others: new Map() });

/** A still photo encoded as a 4 s H.264 clip (the way "photo turned into a video" uploads are made), opened like an upload. */
async function frozenVideo(photo: Buffer): Promise<MediaView | null> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tollgate-frozen-'));
  try {
    writeFileSync(path.join(dir, 'in.jpg'), await sharp(photo, { limitInputPixels: 100_000_000 }).rotate().jpeg().toBuffer());
    const enc = spawnSync(toolPath('ffmpeg'), ['-v', 'error', '-loop', '1', '-i', path.join(dir, 'in.jpg'), '-t', '4', '-r', '25', '-vf', 'scale=640:-2', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-crf', '28', path.join(dir, 'v.mp4')]);
    if (enc.status !== 0) return null;
    return await openMedia(readFileSync(path.join(dir, 'v.mp4')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const f2 = (v: number): string => v.toFixed(2);

export interface ScreensInput {
  /** Real photos (the calibration originals): relative path and bytes. */
  photos: ReadonlyArray<{ file: string; bytes: Buffer }>;
  /** How many of them to build the generated cases from (spread over the list). */
  sources: number;
}

export async function screensSection(input: ScreensInput): Promise<string> {
  const { photos } = input;
  const step = Math.max(1, Math.floor(photos.length / input.sources));
  const sources = photos.filter((_, i) => i % step === 0).slice(0, input.sources);

  // Screenshot and moiré measures on every real photo.
  const measured: { file: string; screenshot: number; moire: number; ownLines: number; ownSeries: number }[] = [];
  for (const p of photos) {
    const view = await openMedia(p.bytes);
    const e = screenshotEvidence(await view.raster({ maxSide: SCREENSHOT_RASTER_SIDE, channels: 1 }), await view.metadata(), view.info);
    const moire = await measureMoire(view);
    measured.push({ file: p.file, screenshot: e.score, moire: moire?.prominence ?? 0, ownLines: moire?.ownLines[0]?.prominence ?? 0, ownSeries: moire?.ownLines[0]?.series ?? 0 });
    process.stderr.write('s');
  }

  const rows = {
    black: newRow('black / white frames (solid colour, sensor-like noise σ 2–3, JPEG q90; one with a burned-in timestamp)', 'quality.blank'),
    frozen: newRow('frozen video (a photo encoded as a 4 s H.264 clip, 1 fps frames)', 'quality.frozen'),
    blurred: newRow('blurred (Gaussian σ 5 at 1024 px, JPEG q92)', 'quality.blurry'),
    screenshots: newRow(`screenshots (${SCREENSHOT_LAYOUTS.length} phone/desktop layouts, PNG and JPEG)`, 'quality.screenshot'),
    recaptures: newRow(`screen recaptures (${RECAPTURE_SETTINGS.length} LCD densities, angles, focus)`, 'quality.screen_recapture'),
  };
  // Harmonic series of the recaptures' moiré peaks that reach the threshold: how far under LINE_SERIES_LIMIT they stay.
  const recaptureSeries: number[] = [];
  for (const [i, rgb] of ([[0, 0, 0], [255, 255, 255], [12, 12, 14], [128, 128, 128]] as const).entries()) {
    const img = sharp({ create: { width: 1280, height: 720, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] }, noise: { type: 'gaussian', mean: rgb[0], sigma: 2 + (i % 2) } } });
    const stamped = i === 2 ? img.composite([{ input: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="40"><text x="4" y="30" font-family="DejaVu Sans" font-size="24" fill="#c0c0c0">2026-11-23 09:41</text></svg>'), left: 960, top: 660 }]) : img;
    await record(rows.black, `rgb ${rgb.join(',')}`, await openMedia(await stamped.jpeg({ quality: 90 }).toBuffer()));
  }
  for (const s of sources) {
    if (rows.frozen.n < 6) {
      const video = await frozenVideo(s.bytes);
      if (video) await record(rows.frozen, s.file, video);
    }
    const blurred = await sharp(s.bytes, { limitInputPixels: 100_000_000 }).rotate().resize(1024, 1024, { fit: 'inside', withoutEnlargement: true }).blur(5).jpeg({ quality: 92 }).toBuffer();
    await record(rows.blurred, s.file, await openMedia(blurred));
    for (const layout of SCREENSHOT_LAYOUTS) await record(rows.screenshots, `${s.file} as ${layout.name}`, await openMedia(await makeScreenshot(s.bytes, layout)));
    for (const setting of RECAPTURE_SETTINGS) {
      const view = await openMedia(await makeRecapture(s.bytes, setting));
      await record(rows.recaptures, `${s.file} on ${setting.name}`, view);
      recaptureSeries.push(...((await measureMoire(view))?.peaks ?? []).filter((p) => p.prominence >= MOIRE_THRESHOLD).map((p) => p.series));
    }
    process.stderr.write('g');
  }

  const sortedMoire = [...measured].sort((a, b) => b.moire - a.moire);
  const sortedShot = [...measured].sort((a, b) => b.screenshot - a.screenshot);
  const caseRows = Object.values(rows).map(
    (r) => `| ${r.kind} | ${r.target} | ${r.n} | ${r.hit} (${r.n ? Math.round((100 * r.hit) / r.n) : 0} %) | ${[...r.others].map(([c, k]) => `${c} ${k}`).join(', ') || '–'} |`,
  );
  return `## Generated cases: black, frozen, blurred, screenshots and screen recaptures

Built from ${sources.length} of the real photos above (spread over the list; frozen videos from the first 6), by
\`eval/quality-screens.ts\` with the generators in \`test/support/screens.ts\`: a screenshot is the photo shown in an app or a
window with a drawn status bar (clock, signal, Wi-Fi, battery), Android three-button navigation bar, macOS-style menu bar or
task bar; a recapture is the photo on a simulated LCD (R, G, B sub-pixel stripes and a dark gap per screen pixel), turned
1–7°, softened by the lens and resampled to the camera's grid, saved as a camera JPEG — the two grids beat into moiré.
Every case runs through every quality detector at default settings.

| case | intended check | n | flagged by it | other quality signals on these cases |
|---|---|---|---|---|
${caseRows.join('\n')}
| real photos (the originals above, including one chart and one notebook page) | none | ${measured.length} | – | screenshot ≥ ${SCREENSHOT_MIN_SCORE}: ${measured.filter((m) => m.screenshot >= SCREENSHOT_MIN_SCORE).length}, moiré ≥ ${MOIRE_THRESHOLD}: ${measured.filter((m) => m.moire >= MOIRE_THRESHOLD).length} |

White-themed screenshots are mostly pure white, so \`quality.overexposed\` fires on them as well (it cannot tell a
blown-out photo from a white page). Missed cases: ${Object.values(rows).flatMap((r) => r.missed.map((m) => `${r.target}: ${m}`)).join('; ') || 'none'}.

### quality.screenshot on the real photos

Evidence score (log-odds of: screen bars, a screenshot tool or "Screenshot" in the metadata, an exact device screen
resolution, no camera tags, PNG; reported from ${SCREENSHOT_MIN_SCORE}). Highest-scoring real photos:

| file | score |
|---|---|
${sortedShot.slice(0, 5).map((m) => `| ${m.file} | ${f2(m.screenshot)} |`).join('\n')}

### quality.screen_recapture: moiré peak prominence

The spectrum of the centre 512² block of a 1024 px greyscale raster; prominence = mean log-magnitude of the 3×3 bins around
an off-axis local maximum (radius 12–90 % of Nyquist, JPEG block-grid bins skipped) minus the mean of the 11×11 ring around
them. Peaks whose harmonic series (the median prominence of the other bins at multiples of the peak or of its 1/2 … 1/6,
the best of those fundamentals) reaches ${LINE_SERIES_LIMIT} are the picture's own lines or grid and are set aside. Reported from ${MOIRE_THRESHOLD}. Real photos: max ${f2(sortedMoire[0]?.moire ?? 0)}, median ${f2(sortedMoire[sortedMoire.length >> 1]?.moire ?? 0)}; highest:

| file | prominence |
|---|---|
${sortedMoire.slice(0, 5).map((m) => `| ${m.file} | ${f2(m.moire)} |`).join('\n')}

Peaks set aside as the picture's own lines or grid (prominence of the strongest such peak, where it would have reached
${MOIRE_THRESHOLD}): ${measured.filter((m) => m.ownLines >= MOIRE_THRESHOLD).map((m) => `${m.file} ${f2(m.ownLines)} (series ${f2(m.ownSeries)})`).join(', ') || 'none'}.
The recaptures' peaks at or above ${MOIRE_THRESHOLD} have series of at most ${f2(Math.max(0, ...recaptureSeries))} (${recaptureSeries.length} peaks). A notebook's spiral
binding is a periodic object in one part of the picture whose peaks carry no harmonic series: it still fires. With
\`TOLLGATE_RECAPTURE_FACES\` a face judged real by the anti-spoof model lowers the score.
`;
}
