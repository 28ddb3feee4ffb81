/**
 * Calibrates the quality detectors on real photos and writes docs/eval-quality.md.
 *
 *   npx tsx eval/quality-calibration.ts [--data ../shared/data] [--out docs/eval-quality.md]
 *
 * Blur: every photo (short side ≥ 256) is measured as is and after synthetic Gaussian blurs. The blur
 * is applied after scaling the photo to a 1024 px long side, so "σ = 3" means the same visible blur for
 * a 480 px webcam frame and a 48 MP phone photo (a σ 3 blur on a 4000 px original vanishes at the
 * 512 px analysis scale and would make the labels meaningless). The threshold is placed between the
 * sharpest heavy blur (σ ≥ 3) and the blurriest original, at their geometric mean.
 *
 * Generated black, frozen, blurred, screenshot and screen-recapture cases, and the screenshot and moiré measures on the
 * real photos, come from eval/quality-screens.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { openMedia } from '../src/media/open.ts';
import type { MediaView } from '../src/media/types.ts';
import { NO_LOOKUPS, type DetectorContext } from '../src/detectors/types.ts';
import { clippedFraction, laplacianStats, luminanceStats, meanAbsDiff } from '../src/detectors/quality/metrics.ts';
import {
  BLANK_RASTER_SIDE,
  BLANK_STD,
  BLUR_RASTER_SIDE,
  BLUR_THRESHOLD,
  CLIP_LEVEL,
  findLetterbox,
  FROZEN_MAX_DIFF,
  measureSharpness,
  OVEREXPOSED_FRACTION,
  qualityDetectors,
} from '../src/detectors/quality/index.ts';
import { screensSection } from './quality-screens.ts';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const ROOT = path.resolve(import.meta.dirname, '..');
const DATA = path.resolve(arg('--data', path.join(ROOT, '../shared/data')));
const OUT = path.resolve(arg('--out', path.join(ROOT, 'docs/eval-quality.md')));

// Only unedited photos are "originals": AugLy outputs and UKBench edited copies are left out on purpose.
const SETS = [
  'exif-camera-samples',
  'object-photos',
  'near-duplicates/augly-transforms/inputs',
  'near-duplicates/imagededup-ukbench/base_images',
  'immich-test-assets',
];
const HELD_OUT_BLURS = ['near-duplicates/augly-transforms/expected_output/test_blur.png', 'near-duplicates/augly-transforms/expected_output/test_RandomBlur.png'];
const SIGMAS = [2, 3, 5, 8] as const;
const HEAVY = (sigma: number): boolean => sigma >= 3;
const BLUR_SCALE = 1024;

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = path.join(dir, f);
      if (statSync(p).isDirectory()) return walk(p);
      return /\.(jpe?g|png|tiff?|webp|heic|heif|avif)$/i.test(f) ? [p] : [];
    });
}

interface Measure {
  sharpness: number;
  laplacianVariance: number;
}

async function measure(view: MediaView): Promise<Measure> {
  const r = await view.raster({ maxSide: BLUR_RASTER_SIDE, channels: 1 });
  const s = measureSharpness(r);
  return { sharpness: s.sharpness, laplacianVariance: laplacianStats(r).variance };
}

async function blurred(bytes: Buffer, sigma: number): Promise<Buffer> {
  return sharp(bytes, { limitInputPixels: 100_000_000 })
    .rotate()
    .resize(BLUR_SCALE, BLUR_SCALE, { fit: 'inside', withoutEnlargement: true })
    .blur(sigma)
    .jpeg({ quality: 92 })
    .toBuffer();
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

const f3 = (v: number): string => (Number.isNaN(v) ? '–' : v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toFixed(4));

function row(label: string, values: readonly number[]): string {
  const s = [...values].sort((a, b) => a - b);
  return `| ${label} | ${s.length} | ${[0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1].map((q) => f3(quantile(s, q))).join(' | ')} |`;
}
const QHEAD = '| set | n | min | p1 | p5 | p25 | median | p75 | p95 | p99 | max |\n|---|---|---|---|---|---|---|---|---|---|---|';

/** Log-spaced text histogram so the gap between the two populations is visible in the doc. */
function histogram(groups: Record<string, readonly number[]>, lo: number, hi: number, bins: number): string {
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo * (hi / lo) ** (i / bins));
  const names = Object.keys(groups);
  const lines = [`| bin | ${names.join(' | ')} |`, `|---|${names.map(() => '---').join('|')}|`];
  for (let b = 0; b < bins; b++) {
    const inBin = (v: number): boolean => (b === 0 ? v < edges[1]! : b === bins - 1 ? v >= edges[b]! : v >= edges[b]! && v < edges[b + 1]!);
    const cells = names.map((n) => {
      const c = groups[n]!.filter(inBin).length;
      return c === 0 ? '' : `${'#'.repeat(Math.min(30, c))} ${c}`;
    });
    lines.push(`| ${f3(edges[b]!)}–${f3(edges[b + 1]!)} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Threshold between `low` (should be flagged) and `high` (should not): geometric mean of the gap, or the least-error cut. */
function pickThreshold(low: readonly number[], high: readonly number[]): { threshold: number; separable: boolean } {
  const maxLow = Math.max(...low);
  const minHigh = Math.min(...high);
  if (maxLow < minHigh) return { threshold: Math.sqrt(maxLow * minHigh), separable: true };
  let best = { errors: Infinity, threshold: minHigh };
  for (const t of [...low, ...high].sort((a, b) => a - b)) {
    const errors = low.filter((v) => v >= t).length + high.filter((v) => v < t).length;
    if (errors < best.errors) best = { errors, threshold: t };
  }
  return { threshold: best.threshold, separable: false };
}

/** Sampled frames of a real video (1 fps via ffmpeg) as a video MediaView, until openMedia decodes video itself. */
async function videoFromFile(file: string): Promise<MediaView | null> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tollgate-cal-'));
  try {
    const r = spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-vf', 'fps=1', '-frames:v', '60', path.join(dir, 'f%03d.png')]);
    if (r.status !== 0) return null;
    const views = await Promise.all(readdirSync(dir).sort().map((f) => openMedia(readFileSync(path.join(dir, f)))));
    const first = views[0];
    if (!first) return null;
    return {
      ...first,
      info: { ...first.info, kind: 'video', mime: 'video/mp4', format: 'mp4', frameCount: views.length },
      raster: first.raster,
      metadata: first.metadata,
      frames: async () => views.map((v, i) => ({ index: i, timeS: i, raster: v.raster })),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function videoSection(): Promise<string> {
  const dir = path.join(DATA, 'tmk-vpdq-videos/videos');
  if (!existsSync(dir) || spawnSync('ffmpeg', ['-version']).status !== 0) return 'skipped: no TMK videos or no ffmpeg on PATH';
  const lines = ['| video | frames | min / max consecutive diff | signals |', '|---|---|---|---|'];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.mp4')).sort()) {
    const view = await videoFromFile(path.join(dir, f));
    if (!view) continue;
    const rs = await Promise.all((await view.frames()).map((fr) => fr.raster({ maxSide: 64, channels: 1 })));
    const diffs = rs.slice(1).map((r, i) => meanAbsDiff(rs[i]!, r));
    const signals = (await Promise.all(qualityDetectors.filter((d) => d.kinds.includes('video')).map((d) => d.detect(view, context)))).flat();
    lines.push(`| ${f} | ${rs.length} | ${f3(Math.min(...diffs))} / ${f3(Math.max(...diffs))} | ${signals.map((s) => `${s.code} ${s.score}`).join(', ') || '–'} |`);
  }
  return lines.join('\n');
}

const context: DetectorContext = { upload: { receivedAt: new Date(0) }, lookups: NO_LOOKUPS, abort: new AbortController().signal };

async function main(): Promise<void> {
  if (!existsSync(DATA)) {
    console.error(`no data at ${DATA}; nothing to calibrate`);
    process.exit(2);
  }
  const files = SETS.flatMap((s) => (existsSync(path.join(DATA, s)) ? walk(path.join(DATA, s)) : []));
  const skipped: { file: string; why: string }[] = [];
  const originals: { file: string; m: Measure; trimmedStd: number; clipped: number; letterbox: boolean; fired: string[] }[] = [];
  const blurs = new Map<number, Measure[]>(SIGMAS.map((s) => [s, []]));
  const native3: Measure[] = [];

  for (const file of files) {
    const rel = path.relative(DATA, file);
    let view: MediaView;
    try {
      view = await openMedia(readFileSync(file));
      await view.raster({ maxSide: BLUR_RASTER_SIDE, channels: 1 });
    } catch (error) {
      skipped.push({ file: rel, why: `does not decode: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 80)}` });
      continue;
    }
    const fired = (await Promise.all(qualityDetectors.map((d) => (d.kinds.includes(view.info.kind) ? d.detect(view, context) : [])))).flat();
    const small = await view.raster({ maxSide: BLANK_RASTER_SIDE, channels: 1 });
    const stats = luminanceStats(small);
    if (Math.min(view.info.width, view.info.height) < 256) {
      skipped.push({ file: rel, why: `short side ${Math.min(view.info.width, view.info.height)} px < 256 (quality.too_small's case)` });
      continue;
    }
    if (stats.trimmedStd <= BLANK_STD) {
      skipped.push({ file: rel, why: `blank (luminance std ${stats.trimmedStd.toFixed(1)}): quality.blank's case, not a photo` });
      continue;
    }
    // HEIC files whose decoder only half works here decode once and then fail on re-encode: skip them whole.
    let variants: { sigma: Map<number, Measure>; native: Measure };
    try {
      const sigma = new Map<number, Measure>();
      for (const s of SIGMAS) sigma.set(s, await measure(await openMedia(await blurred(view.bytes, s))));
      const nativeBytes = await sharp(view.bytes, { limitInputPixels: 100_000_000 }).rotate().blur(3).jpeg({ quality: 92 }).toBuffer();
      variants = { sigma, native: await measure(await openMedia(nativeBytes)) };
    } catch (error) {
      skipped.push({ file: rel, why: `cannot be re-encoded for blurring: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 80)}` });
      continue;
    }
    const m = await measure(view);
    const r256 = await view.raster({ maxSide: 256, channels: 1 });
    originals.push({
      file: rel,
      m,
      trimmedStd: stats.trimmedStd,
      clipped: clippedFraction(r256, CLIP_LEVEL),
      letterbox: findLetterbox(r256) !== null,
      fired: fired.map((s) => `${s.code} ${s.score}`),
    });
    for (const s of SIGMAS) blurs.get(s)!.push(variants.sigma.get(s)!);
    native3.push(variants.native);
    process.stderr.write('.');
  }
  process.stderr.write('\n');

  const orig = originals.map((o) => o.m.sharpness);
  const heavy = SIGMAS.filter(HEAVY).flatMap((s) => blurs.get(s)!.map((m) => m.sharpness));
  const chosen = pickThreshold(heavy, orig);
  const plain = pickThreshold(
    SIGMAS.filter(HEAVY).flatMap((s) => blurs.get(s)!.map((m) => m.laplacianVariance)),
    originals.map((o) => o.m.laplacianVariance),
  );
  const errorsAt = (t: number, key: keyof Measure): { fp: number; fn: number; fnBySigma: Record<number, number> } => ({
    fp: originals.filter((o) => o.m[key] < t).length,
    fn: heavy.length === 0 ? 0 : SIGMAS.filter(HEAVY).reduce((a, s) => a + blurs.get(s)!.filter((m) => m[key] >= t).length, 0),
    fnBySigma: Object.fromEntries(SIGMAS.map((s) => [s, blurs.get(s)!.filter((m) => m[key] >= t).length])),
  });
  const atCode = errorsAt(BLUR_THRESHOLD, 'sharpness');
  const atPlain = errorsAt(plain.threshold, 'laplacianVariance');
  const heldOut: string[] = [];
  for (const rel of HELD_OUT_BLURS) {
    const p = path.join(DATA, rel);
    if (!existsSync(p)) continue;
    const m = await measure(await openMedia(readFileSync(p)));
    heldOut.push(`| ${rel} | ${f3(m.sharpness)} | ${m.sharpness < BLUR_THRESHOLD ? 'flagged' : 'not flagged'} |`);
  }
  const blurriestOriginals = [...originals].sort((a, b) => a.m.sharpness - b.m.sharpness).slice(0, 5);
  const firedOnOriginals = originals.filter((o) => o.fired.length > 0);
  const videos = await videoSection();
  const screens = await screensSection({ photos: originals.map((o) => ({ file: o.file, bytes: readFileSync(path.join(DATA, o.file)) })), sources: 12 });

  const doc = `# Quality detector calibration

Generated by \`npx tsx eval/quality-calibration.ts\` on ${new Date().toISOString().slice(0, 10)} from \`../shared/data\`
(${SETS.map((s) => `\`${s}\``).join(', ')}). Re-run it after changing a quality metric; it does not change code, so
copy a new threshold into \`src/detectors/quality/\` by hand.

## Corpus

${files.length} image files; ${originals.length} photos used; ${skipped.length} left out:

${skipped.map((s) => `- \`${s.file}\`: ${s.why}`).join('\n')}

## quality.blurry

Measure (\`measureSharpness\`, on a ${BLUR_RASTER_SIDE} px greyscale raster): the variance of the 4-neighbour Laplacian in
the sharpest tiles (90th percentile of a 4×4 grid), divided by the image's luminance variance + 1. Positives are
Gaussian blurs of every photo, applied after scaling it to a ${BLUR_SCALE} px long side and saved as JPEG q92; σ ≥ 3
must be flagged, σ = 2 is shown for information only.

${QHEAD}
${row('originals', orig)}
${SIGMAS.map((s) => row(`blur σ=${s}${HEAVY(s) ? '' : ' (info)'}`, blurs.get(s)!.map((m) => m.sharpness))).join('\n')}
${row('blur σ=3 at native resolution (info)', native3.map((m) => m.sharpness))}

Histogram (log bins):

${histogram({ originals: orig, 'σ=2': blurs.get(2)!.map((m) => m.sharpness), 'σ≥3': heavy }, 0.002, 20, 16)}

**Threshold.** Heavy blurs reach at most ${f3(Math.max(...heavy))}, originals go down to ${f3(Math.min(...orig))}:
${chosen.separable ? `the populations are separable and the geometric mean of the gap is **${chosen.threshold.toFixed(4)}**` : `they overlap, and the least-error cut is **${chosen.threshold.toFixed(4)}**`}.
The code uses \`BLUR_THRESHOLD = ${BLUR_THRESHOLD}\`: ${atCode.fp} of ${orig.length} originals flagged, ${atCode.fn} of ${heavy.length} heavy blurs missed
(by σ: ${SIGMAS.map((s) => `σ${s} ${atCode.fnBySigma[s]}/${blurs.get(s)!.length} missed`).join(', ')}).
The score is a logistic in log space: 0.5 at the threshold, ~0.88 at half of it, ~0.12 at double.

For comparison, plain Laplacian variance (the textbook measure) at its own best cut ${f3(plain.threshold)}
(${plain.separable ? 'separable' : 'not separable'}): ${atPlain.fp} originals flagged, ${atPlain.fn} heavy blurs missed.
Its weak spots are low-contrast sharp photos and shallow depth of field, which the tile percentile and the contrast
normalisation remove.

The five least sharp originals (the ones a tighter threshold would flag first):

| file | sharpness | Laplacian variance |
|---|---|---|
${blurriestOriginals.map((o) => `| ${o.file} | ${f3(o.m.sharpness)} | ${f3(o.m.laplacianVariance)} |`).join('\n')}

Held-out real blurs (AugLy outputs, not used for the threshold; \`test_blur\` is a mild radius-2 PIL blur of a 1080p frame):

| file | sharpness | result |
|---|---|---|
${heldOut.join('\n')}

## Other checks on the same photos (false-positive check)

| measure | used by | threshold | originals |
|---|---|---|---|
| trimmed luminance std-dev, ${BLANK_RASTER_SIDE} px | quality.blank | ≤ ${BLANK_STD} | min ${f3(Math.min(...originals.map((o) => o.trimmedStd)))}, p1 ${f3(quantile([...originals.map((o) => o.trimmedStd)].sort((a, b) => a - b), 0.01))} |
| fraction with luminance ≥ ${CLIP_LEVEL}, 256 px | quality.overexposed | ≥ ${OVEREXPOSED_FRACTION} | max ${f3(Math.max(...originals.map((o) => o.clipped)))}, p99 ${f3(quantile([...originals.map((o) => o.clipped)].sort((a, b) => a - b), 0.99))} |
| black bars on two opposite sides, 256 px | quality.letterboxed | ≥ 3% each | ${originals.filter((o) => o.letterbox).length} of ${originals.length} |

Most clipped originals (overexposure cannot tell a blown-out photo from a drawing on white paper: both are
mostly pure white):

| file | clipped fraction |
|---|---|
${[...originals].sort((a, b) => b.clipped - a.clipped).slice(0, 6).map((o) => `| ${o.file} | ${f3(o.clipped)} |`).join('\n')}

Signals any quality detector raised on the ${originals.length} originals (default settings):

${firedOnOriginals.length === 0 ? 'none' : firedOnOriginals.map((o) => `- \`${o.file}\`: ${o.fired.join(', ')}`).join('\n')}

## Videos: frozen and letterboxed (TMK phone clips, 1 frame per second)

\`quality.frozen\` fires when every consecutive difference (mean absolute, grey levels, 64 px) is ≤ ${FROZEN_MAX_DIFF}. The
"-bar" clips are pillarboxed (31 px bars each side of 480 px); \`test-padded-dimensions.mp4\` is a synthetic pattern
whose black surround is ragged, not a clean bar. A photo encoded to H.264 with ffmpeg (see the unit tests) differs by < 0.01.

${videos}

${screens}`;
  mkdirSync(path.dirname(OUT), { recursive: true });
  writeFileSync(OUT, doc);
  console.log(`wrote ${OUT}: ${originals.length} photos, blur threshold ${chosen.threshold.toFixed(4)} (code ${BLUR_THRESHOLD}), ${atCode.fp} FP / ${atCode.fn} FN`);
}

await main();
