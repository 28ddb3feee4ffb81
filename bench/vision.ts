/**
 * Vision models and the pipeline with them on and off, written to docs/bench-vision.md (part of `npm run bench`).
 *
 *   node --import tsx bench/vision.ts [--reps 3]
 *
 * CPU time (process.cpuUsage) is the figure to read: the tfjs WASM backend runs on one thread, so CPU ms per
 * image is the cost on one core, and it is not inflated by other processes waiting for the same cores the
 * way wall time is on a shared machine. Rasters are decoded before timing, so the model rows exclude JPEG decode.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { analysisDeps } from '../src/app.ts';
import { loadConfig } from '../src/config/index.ts';
import { DetectorRegistry } from '../src/detectors/registry.ts';
import { builtInDetectors } from '../src/detectors/catalogue.ts';
import { NO_LOOKUPS, type UploadFacts } from '../src/detectors/types.ts';
import { openMedia } from '../src/media/open.ts';
import type { MediaView, Raster } from '../src/media/types.ts';
import { analyse } from '../src/pipeline/analyse.ts';
import { createScreenRecaptureDetector, screenshotDetector } from '../src/detectors/quality/index.ts';
import { buildPolicy } from '../src/policy/spec.ts';
import { loadHuman, modelsFor, type HumanInstance, type ModelSelection } from '../src/vision/human.ts';
import { classifyNsfw, NSFW_INPUT_SIDE } from '../src/vision/nsfw.ts';
import { VISION_RASTER_SIDE } from '../src/vision/service.ts';
import { filesUnder, machine, percentile, table } from './support.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const DATA = path.join(ROOT, '../shared/data');
const repsAt = process.argv.indexOf('--reps');
const REPS = repsAt >= 0 ? Number(process.argv[repsAt + 1]) : 3;
if (!Number.isInteger(REPS) || REPS < 1) throw new Error(`--reps takes a whole number ≥ 1, got ${process.argv[repsAt + 1]}`);
const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** People, faces, animals and scenes: the model cost depends on how many faces there are. */
const IMAGES = [
  ...filesUnder(path.join(DATA, 'object-photos')),
  ...filesUnder(path.join(DATA, 'near-duplicates/augly-transforms/inputs')),
  ...filesUnder(path.join(DATA, 'immich-test-assets/metadata/faces')).filter((f) => /\.jpe?g$/i.test(f)),
  ...filesUnder(path.join(DATA, 'immich-test-assets/albums/nature')),
];

const cpuMs = (from: NodeJS.CpuUsage): number => {
  const c = process.cpuUsage(from);
  return (c.user + c.system) / 1000;
};

interface Row {
  name: string;
  cpu: number[];
  wall: number[];
}

async function timeModels(human: HumanInstance, rasters: readonly Raster[], name: string, models: ModelSelection): Promise<Row> {
  const row: Row = { name, cpu: [], wall: [] };
  const config = modelsFor(models);
  for (let rep = -1; rep < REPS; rep++) {
    for (const r of rasters) {
      const input = human.tf.tensor3d(r.data, [r.height, r.width, 3], 'int32');
      const c = process.cpuUsage();
      const t = performance.now();
      await human.detect(input, config);
      // The first pass loads newly enabled models and compiles kernels: not counted.
      if (rep >= 0) {
        row.cpu.push(cpuMs(c));
        row.wall.push(performance.now() - t);
      }
      input.dispose();
    }
  }
  return row;
}

async function timeNsfw(rasters: readonly Raster[]): Promise<Row> {
  const row: Row = { name: 'content.nsfw: nsfwjs MobileNetV2 at 224 px', cpu: [], wall: [] };
  for (let rep = -1; rep < REPS; rep++) {
    for (const r of rasters) {
      const c = process.cpuUsage();
      const t = performance.now();
      await classifyNsfw(r);
      if (rep >= 0) {
        row.cpu.push(cpuMs(c));
        row.wall.push(performance.now() - t);
      }
    }
  }
  return row;
}

/** The two new quality checks on a view whose 1024 px luma raster is already decoded (shared with other detectors). */
async function timeQuality(views: readonly MediaView[]): Promise<Row[]> {
  const context = { upload: { receivedAt: new Date() }, lookups: NO_LOOKUPS, abort: new AbortController().signal };
  const out: Row[] = [];
  for (const detector of [screenshotDetector, createScreenRecaptureDetector()]) {
    const row: Row = { name: `${detector.name} (1024 px luma raster already decoded)`, cpu: [], wall: [] };
    for (let rep = -1; rep < REPS; rep++) {
      for (const v of views) {
        await v.raster({ maxSide: 1024, channels: 1 });
        const c = process.cpuUsage();
        const t = performance.now();
        await detector.detect(v, context);
        if (rep >= 0) {
          row.cpu.push(cpuMs(c));
          row.wall.push(performance.now() - t);
        }
      }
    }
    out.push(row);
  }
  return out;
}

const median = (xs: readonly number[]): number => percentile([...xs].sort((a, b) => a - b), 50);
const p90 = (xs: readonly number[]): number => percentile([...xs].sort((a, b) => a - b), 90);

/** The whole analysis (decode, fingerprints, every detector, policy) of real camera JPEGs, one at a time. */
async function pipeline(files: readonly Buffer[], name: string, facts: UploadFacts, options: { nsfw?: boolean }): Promise<string[]> {
  const config = loadConfig({ env: { TOLLGATE_DATA_DIR: tmpdir() } });
  const deps = { ...analysisDeps(config, new DetectorRegistry(builtInDetectors(options))), policy: buildPolicy(0, undefined, { checks: { nsfw: options.nsfw ?? false } }) };
  // Warm-up: loads the models this configuration uses.
  await analyse(files[0]!, facts, NO_LOOKUPS, deps);
  const c = process.cpuUsage();
  const t = performance.now();
  for (const bytes of files) await analyse(bytes, facts, NO_LOOKUPS, deps);
  const cpu = cpuMs(c) / files.length;
  const seconds = (performance.now() - t) / 1000;
  return [name, String(files.length), (files.length / seconds).toFixed(1), cpu.toFixed(0), (1000 / cpu).toFixed(1)];
}

async function main(): Promise<void> {
  const started = loadavg();
  const loadStart = performance.now();
  const loadCpu = process.cpuUsage();
  const human = await loadHuman();
  const load = { wall: performance.now() - loadStart, cpu: cpuMs(loadCpu) };
  const views = await Promise.all(IMAGES.map(async (f) => openMedia(readFileSync(f))));
  const rasters = await Promise.all(views.map((v) => v.raster({ maxSide: VISION_RASTER_SIDE })));
  const small = await Promise.all(views.map((v) => v.raster({ exact: { width: NSFW_INPUT_SIDE, height: NSFW_INPUT_SIDE } })));
  log(`vision bench: ${rasters.length} images × ${REPS} reps`);
  const rows: Row[] = [];
  rows.push(await timeModels(human, rasters, 'task analysis: objects + faces + descriptors (objects + faces task)', { objects: true, faces: true, describeFaces: true, liveness: false }));
  rows.push(await timeModels(human, rasters, 'objects only (CenterNet 512²; task without self/max_people)', { objects: true, faces: false, describeFaces: false, liveness: false }));
  rows.push(await timeModels(human, rasters, 'faces + descriptors only (self-only task)', { objects: false, faces: true, describeFaces: true, liveness: false }));
  rows.push(await timeModels(human, rasters, 'face check: BlazeFace + anti-spoof + liveness', { objects: false, faces: true, describeFaces: false, liveness: true }));
  rows.push(await timeNsfw(small));
  rows.push(...(await timeQuality(views)));
  const modelTable = table(
    ['models', 'images', 'CPU ms median', 'CPU ms p90', 'wall ms median', 'wall ms p90'],
    rows.map((r) => [r.name, r.cpu.length / REPS, median(r.cpu).toFixed(0), p90(r.cpu).toFixed(0), median(r.wall).toFixed(0), p90(r.wall).toFixed(0)]),
  );
  const jpegs = filesUnder(path.join(DATA, 'exif-camera-samples/images/jpg/exif-org')).slice(0, 30).map((f) => readFileSync(f));
  const taskFacts: UploadFacts = { receivedAt: new Date(), task: { id: 'bench', spec: { media: 'image', require_objects: ['person'], max_people: 3 } } };
  const pipelineRows = [
    await pipeline(jpegs, 'vision off (no task)', { receivedAt: new Date() }, {}),
    await pipeline(jpegs, 'vision on (task: require_objects person, max_people 3)', taskFacts, {}),
    await pipeline(jpegs, 'vision on + content.nsfw (TOLLGATE_NSFW)', taskFacts, { nsfw: true }),
  ];
  const doc = `# Vision models and the pipeline with vision on and off

Generated by \`node --import tsx bench/vision.ts\` on ${new Date().toISOString().slice(0, 16)}Z. Machine: ${machine()}; load average at start
${started.map((x) => x.toFixed(1)).join(' / ')} (a shared machine: wall times include waiting for a core, CPU times do not).

## Models and checks, one image at a time (vision at ${VISION_RASTER_SIDE} px; tfjs WASM backend, SIMD, one thread)

Model load (WASM compile + models from disk): ${load.wall.toFixed(0)} ms wall, ${load.cpu.toFixed(0)} ms CPU, once per process.
${rasters.length} real images (object-photos, AugLy/DFDC frames, immich faces and nature), ${REPS} passes after one warm-up pass.

${modelTable}

## Whole analysis per upload (decode, fingerprints, every detector, policy), with vision on and off

${jpegs.length} real camera JPEGs (exif-camera-samples exif-org), analysed one after another in one process, after a warm-up
upload. "Per core" is 1000 / CPU ms: what one core sustains.

${table(['configuration', 'files', 'files/s (wall)', 'CPU ms/file', 'files/s per core (CPU)'], pipelineRows)}
`;
  writeFileSync(path.join(ROOT, 'docs/bench-vision.md'), doc);
  log(doc);
}

await main();
