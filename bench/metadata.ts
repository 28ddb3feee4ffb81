/**
 * Metadata forensics cost per image (issue 4): the hot-path meta detectors, and the deep phase apart
 * (one pooled ExifTool read, the deep date/record checks, the double-compression analysis).
 *
 *   node --import tsx bench/metadata.ts        → docs/bench-metadata.md
 *
 * Views are opened beforehand and fresh for every timed run (metadata() and rasters are cached per view,
 * and a worker sees each file once), so opening/decoding is not counted.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { metaDeepDetectors, metaDetectors, doubleCompression } from '../src/detectors/meta/index.ts';
import { NO_LOOKUPS, type Detector, type DetectorContext } from '../src/detectors/types.ts';
import { DeepMetadataReader, type DeepMetadata } from '../src/media/deep-metadata.ts';
import { openMedia } from '../src/media/open.ts';
import type { MediaView } from '../src/media/types.ts';
import { filesUnder, machine, timeEach, timingRow, type Timing } from './support.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DATA = resolve(ROOT, '../shared/data');
const out: string[] = [];
const log = (s = ''): void => {
  out.push(s);
  console.log(s);
};
const ctx = (deep?: DeepMetadata): DetectorContext => ({ upload: { receivedAt: new Date() }, lookups: NO_LOOKUPS, abort: new AbortController().signal, ...(deep ? { deep } : {}) });

/** Times `fn` on a fresh view of each file (opening is not counted; views cache what they decode). */
async function time(files: readonly Buffer[], fn: (view: MediaView) => Promise<unknown>): Promise<Timing> {
  const views = (await Promise.all(files.map((b) => openMedia(b).catch(() => null)))).filter((v): v is MediaView => v !== null);
  // Warmed up on a view of its own, so that no timed view has cached anything yet.
  const warm = (await openMedia(files[0]!).catch(() => null)) ?? undefined;
  return timeEach(views, fn, warm);
}

const row = (name: string, t: Timing, target: string): string => timingRow(name, t, target);
const run = (detectors: readonly Detector[], deep?: DeepMetadata) => async (view: MediaView) => {
  for (const d of detectors) if (d.kinds.includes(view.info.kind)) await d.detect(view, ctx(deep));
};

async function main(): Promise<void> {
  const files = filesUnder(join(DATA, 'exif-camera-samples/images'), /\.jpe?g$/i).map((p) => readFileSync(p));
  const reader = new DeepMetadataReader();
  log(`Machine: ${machine()}; load average at start ${loadavg().map((x) => x.toFixed(1)).join('/')} (2 cores shared with other agents' jobs: wall times are inflated, CPU times are this process's cost; ExifTool's own CPU is in a child process and shows in wall time only).`);
  log();
  log(`${files.length} JPEGs of exif-camera-samples (cameras and phones, 0.1–12 MP). ms per image.`);
  log();
  log('| what | files | CPU p50 | CPU p90 | wall p50 | wall p90 | target |');
  log('|---|---|---|---|---|---|---|');
  log(row(`hot path: all ${metaDetectors.length} meta detectors`, await time(files, run(metaDetectors)), '≤ 5 ms (issue 4)'));
  // The thumbnail check decodes the embedded JPEG with sharp; everything else reads parsed metadata or the marker walk.
  const thumb = metaDetectors.filter((d) => d.name === 'meta.thumbnail_mismatch');
  log(row('  of which meta.thumbnail_mismatch (sharp decode of the EXIF thumbnail)', await time(files, run(thumb)), ''));
  log(row(`  the other ${metaDetectors.length - thumb.length}`, await time(files, run(metaDetectors.filter((d) => !thumb.includes(d)))), ''));
  await reader.read(files[0]!);
  log(row('deep: ExifTool read (one pooled -stay_open process)', await time(files, async (v) => reader.read(v.bytes, v.info.format)), 'on demand'));
  const reads = new Map<Buffer, DeepMetadata>();
  for (const b of files) reads.set(b, await reader.read(b));
  const checks = metaDeepDetectors.filter((d) => d !== doubleCompression);
  log(row('deep: date copies + grouped record (given the read)', await time(files, async (v) => run(checks, reads.get(v.bytes))(v)), 'on demand'));
  log(row('deep: meta.double_compression (≤ 8192 luma blocks)', await time(files, run([doubleCompression])), 'on demand'));
  log();
  log('The deep phase runs only when the hot path raised a medium+ meta signal, the upload answers a task, or `TOLLGATE_DEEP_METADATA=always` (src/pipeline/deep.ts).');
  await reader.close();
  writeFileSync(join(ROOT, 'docs/bench-metadata.md'), `# Metadata forensics\n\n${out.join('\n')}\n`);
}

await main();
