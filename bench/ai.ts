/**
 * Cost of the provenance and AI detectors per file, on one core (Node runs detector JavaScript on one
 * thread; the ONNX session is created with one intra-op thread). Views are opened first, so decoding the
 * upload — paid once for every detector — is not counted; metadata parsing and the rasters a detector asks
 * for are. Wall and CPU time are both reported: on a busy machine CPU time is the cost, wall time the wait.
 *
 *   node --import tsx bench/ai.ts        → docs/bench-ai.md
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { c2paDetector } from '../src/detectors/ai/c2pa.ts';
import { loadDefaultAiModel, logregScorer } from '../src/detectors/ai/classifier.ts';
import { generatorMetadataDetector } from '../src/detectors/ai/generator-metadata.ts';
import { createOnnxScorer, sha256File } from '../src/detectors/ai/onnx.ts';
import { createPixelClassifierDetector, type PixelScorer } from '../src/detectors/ai/pixel-scorer.ts';
import { createAiVideoDetector } from '../src/detectors/ai/video.ts';
import { invisibleWatermarkDetector } from '../src/detectors/ai/watermark-detector.ts';
import { NO_LOOKUPS, type Detector, type DetectorContext } from '../src/detectors/types.ts';
import { openMedia } from '../src/media/open.ts';
import type { MediaView } from '../src/media/types.ts';
import { GENERATOR_SHAPE, PHONE_SHAPE, slideshow } from '../test/support/ai-videos.ts';
import { meanColourClassifier } from '../test/support/onnx-model.ts';
import { filesUnder, formatMs as f, machine, percentile, timeEach, timingRow, type Timing } from './support.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DATA = resolve(ROOT, '../shared/data');
const out: string[] = [];
const log = (s = ''): void => {
  console.log(s);
  out.push(s);
};
const ctx = (): DetectorContext => ({ upload: { receivedAt: new Date() }, lookups: NO_LOOKUPS, abort: new AbortController().signal });

const time = (views: readonly MediaView[], fn: (view: MediaView) => Promise<unknown>): Promise<Timing> => timeEach(views, fn);
const row = (name: string, _n: number, t: Timing, target: string): string => timingRow(name, t, target);

/** Fresh views each time: metadata() and rasters are cached per view, and a worker sees each file once. */
async function open(files: readonly string[]): Promise<MediaView[]> {
  const views: MediaView[] = [];
  for (const file of files) {
    const view = await openMedia(readFileSync(file)).catch(() => null);
    if (view) views.push(view);
  }
  return views;
}

const run = (detectors: readonly Detector[]) => async (view: MediaView) => {
  for (const d of detectors) await d.detect(view, ctx());
};

async function main(): Promise<void> {
  const cameras = filesUnder(join(DATA, 'exif-camera-samples/images'), /\.jpe?g$/i);
  const comfy = filesUnder(join(DATA, 'ai-generator-metadata/comfyui-examples'), /\.png$/i);
  // Top level only: the manifests/ folders hold c2patool's extracted thumbnails.
  const c2paDir = join(DATA, 'c2pa-public-testfiles/image/jpeg');
  const c2pa = readdirSync(c2paDir).filter((n) => /\.jpe?g$/i.test(n)).map((n) => join(c2paDir, n));
  const photos = filesUnder(join(DATA, 'object-photos'), /\.jpe?g$/i);
  const model = loadDefaultAiModel();
  if (!model) throw new Error('the shipped ai-classifier-model.json does not load');
  const logreg = logregScorer(model);

  const work = mkdtempSync(join(tmpdir(), 'tollgate-bench-ai-'));
  const onnxPath = join(work, 'mean-colour-224.onnx');
  writeFileSync(onnxPath, meanColourClassifier(224, [[1, -1], [2, 0.5], [-1, 3]], [0.1, -0.2]));
  const descriptor = {
    kind: 'tollgate.ai-classifier.onnx',
    version: 'bench',
    model: onnxPath,
    sha256: sha256File(onnxPath),
    input: { width: 224, height: 224, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
    output: { index: 1, activation: 'softmax' },
  };
  const onnx = createOnnxScorer(descriptor, join(work, 'd.json'));
  const t0 = performance.now();
  const grey = await openMedia(readFileSync(photos[0] ?? ''));
  await onnx.score((r) => grey.raster(r), undefined);
  const sessionMs = performance.now() - t0;

  log(`Machine: ${machine()}; load average at start ${loadavg().map((x) => x.toFixed(1)).join('/')} (2 cores shared with other agents' jobs: wall times are inflated, CPU times are the cost).`);
  log();
  log('## Per image (view opened beforehand; ms)');
  log();
  log('| what | files | CPU p50 | CPU p90 | wall p50 | wall p90 | target |');
  log('|---|---|---|---|---|---|---|');
  const provenance = run([generatorMetadataDetector, c2paDetector]);
  const camerasProv = await time(await open(cameras), provenance);
  const comfyProv = await time(await open(comfy), provenance);
  log(row('provenance + metadata: camera JPEGs (exif-camera-samples)', cameras.length, camerasProv, '≤ 3 ms'));
  log(row('provenance + metadata: ComfyUI PNGs (text chunks, stealth check)', comfy.length, comfyProv, '≤ 3 ms'));
  log(row('provenance + metadata: C2PA JPEGs (signature + hash validation)', c2pa.length, await time(await open(c2pa), provenance), '—'));
  log(row('invisible watermark decode (full-resolution raster)', photos.length, await time(await open(photos), run([invisibleWatermarkDetector])), '—'));
  const classifierP50: number[] = [];
  for (const [name, files] of [
    ['object photos, 0.3–1.2 MP', photos],
    ['camera JPEGs, mixed sizes', cameras],
  ] as const) {
    const t = await time(await open(files), run([createPixelClassifierDetector(logreg)]));
    classifierP50.push(percentile(t.cpu, 50));
    log(row(`ai.classifier, shipped model (≤ 512 px raster + features): ${name}`, files.length, t, '≤ 50 ms'));
    log(row(`ai.classifier, ONNX test model (224×224 resize + tensor + run): ${name}`, files.length, await time(await open(files), run([createPixelClassifierDetector(onnx)])), '≤ 50 ms'));
  }
  log();
  const provP50 = Math.max(percentile(camerasProv.cpu, 50), percentile(comfyProv.cpu, 50));
  log(`Against the targets (median CPU per image): provenance + metadata ${f(provP50)} ms (≤ 3 ms: ${provP50 <= 3 ? 'met' : 'not met'}) on files without a manifest; a file that carries a C2PA manifest pays for its signature and hash validation (the C2PA row), which no 3 ms budget covers. Shipped classifier ${f(Math.max(...classifierP50))} ms (≤ 50 ms on one core: ${Math.max(...classifierP50) <= 50 ? 'met' : 'not met'}); its p90 is dominated by the ≤ 512 px resize of large photos on a loaded machine.`);
  log();
  log(`ONNX test model: GlobalAveragePool → Flatten → Gemm on a 1×3×224×224 input (built by test/support/onnx-model.ts); creating the session and the first run took ${f(sessionMs)} ms, paid once per worker process. A real tenant network (a ResNet-50 is ~4 GFLOPs) costs what onnxruntime needs for it on one thread, on top of the ~same pre-processing.`);
  log();

  log('## Per video (ai.video_*: tags, profile, median of ≤ 8 frames; ms)');
  log();
  const ai = comfy.slice(0, 3).map((p) => readFileSync(p));
  const real = photos.slice(0, 3).map((p) => readFileSync(p));
  const webps = filesUnder(join(DATA, 'ai-generator-metadata/comfyui-examples'), /\.webp$/i);
  const cases: Array<[string, () => Promise<Buffer[]>]> = [
    ['MP4 832×480 16 fps (ComfyUI slideshow)', async () => [await slideshow(ai, GENERATOR_SHAPE)]],
    ['MP4 1280×720 30 fps + audio (real-photo slideshow)', async () => [await slideshow(real, PHONE_SHAPE)]],
    ['animated WebP (Wan, Mochi, LTXV)', async () => webps.map((p) => readFileSync(p))],
  ];
  log('| input | files | frames decoded + scored, CPU p50 | wall p50 | scoring only (frames already decoded), CPU p50 |');
  log('|---|---|---|---|---|');
  for (const [name, make] of cases) {
    const bytes = await make();
    const detector = (scorer: PixelScorer) => run([createAiVideoDetector(scorer)]);
    const cold = await time(await Promise.all(bytes.map((b) => openMedia(b))), detector(logreg));
    const warmViews = await Promise.all(bytes.map((b) => openMedia(b)));
    for (const v of warmViews) for (const frame of await v.frames()) await frame.raster();
    const warm = await time(warmViews, detector(logreg));
    log(`| ${name} | ${bytes.length} | ${f(percentile(cold.cpu, 50))} | ${f(percentile(cold.wall, 50))} | ${f(percentile(warm.cpu, 50))} |`);
  }
  log();
  log('Frame decoding (ffmpeg for MP4, libvips for animated WebP) is shared with the other video detectors (vPDQ, frozen, task); the AI part is the scoring column.');
  rmSync(work, { recursive: true, force: true });
  writeFileSync(join(ROOT, 'docs', 'bench-ai.md'), `# AI detectors\n\n${out.join('\n')}\n`);
}

await main();
