/**
 * OCR speed for copyright.watermark_text, written to docs/bench-ocr.md (part of `npm run bench`).
 *
 *   node --import tsx bench/ocr.ts [--reps 2] [--photos N]
 *
 * One PaddleOCR pass (PP-OCRv4 detection + recognition through onnxruntime-node) on a 1024 px raster of
 * real photos, clean and with a rendered watermark (more text boxes to recognise), and the detector's whole
 * read (the first pass plus the closer second pass where the first names no agency). Rasters are decoded
 * before timing. CPU time (process.cpuUsage) with one onnxruntime thread is the cost on one core; wall
 * time is also given but is inflated on a shared machine.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { readWatermarkText } from '../src/detectors/copyright/watermark-text.ts';
import { openMedia } from '../src/media/open.ts';
import type { MediaView, Raster } from '../src/media/types.ts';
import { OCR_RASTER_SIDE, PaddleOcrService } from '../src/vision/ocr.ts';
import { renderWatermark } from '../test/support/watermarks.ts';
import { filesUnder, machine, percentile, table } from './support.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const DATA = path.join(ROOT, '../shared/data');
const arg = (name: string): number | undefined => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : undefined);
const REPS = arg('--reps') ?? 2;
const log = (line: string): void => void process.stderr.write(`${line}\n`);

const PHOTOS = [...filesUnder(path.join(DATA, 'object-photos')), ...filesUnder(path.join(DATA, 'immich-test-assets/albums/text')), ...filesUnder(path.join(DATA, 'immich-test-assets/albums/nature'))].slice(0, arg('--photos'));

async function raster(bytes: Buffer): Promise<Raster> {
  const { data, info } = await sharp(bytes).rotate().resize(OCR_RASTER_SIDE, OCR_RASTER_SIDE, { fit: 'inside' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: 3, data: new Uint8Array(data) };
}

interface Row {
  cpu: number[];
  wall: number[];
  lines: number[];
}

async function measure(service: PaddleOcrService, rasters: readonly Raster[]): Promise<Row> {
  const row: Row = { cpu: [], wall: [], lines: [] };
  for (let rep = 0; rep < REPS; rep++) {
    for (const r of rasters) {
      const cpu = process.cpuUsage();
      const started = performance.now();
      const result = await service.readRaster(r);
      row.wall.push(performance.now() - started);
      const used = process.cpuUsage(cpu);
      row.cpu.push((used.user + used.system) / 1000);
      row.lines.push(result.lines.length);
    }
  }
  return row;
}

/** The detector's read, on fresh views each repetition (the service caches its first pass per view). */
async function measureDetector(service: PaddleOcrService, files: readonly Buffer[]): Promise<Row> {
  const row: Row = { cpu: [], wall: [], lines: [] };
  for (let rep = 0; rep < REPS; rep++) {
    const views: MediaView[] = [];
    for (const bytes of files) {
      const view = await openMedia(bytes);
      await view.raster({ maxSide: OCR_RASTER_SIDE });
      views.push(view);
    }
    for (const view of views) {
      const cpu = process.cpuUsage();
      const started = performance.now();
      const result = await readWatermarkText(service, view);
      row.wall.push(performance.now() - started);
      const used = process.cpuUsage(cpu);
      row.cpu.push((used.user + used.system) / 1000);
      row.lines.push(result.lines.length);
    }
  }
  return row;
}

function cells(name: string, row: Row): (string | number)[] {
  const cpu = [...row.cpu].sort((a, b) => a - b);
  const wall = [...row.wall].sort((a, b) => a - b);
  const lines = row.lines.reduce((a, b) => a + b, 0) / row.lines.length;
  return [name, row.cpu.length, percentile(cpu, 50).toFixed(0), percentile(cpu, 90).toFixed(0), percentile(wall, 50).toFixed(0), percentile(wall, 90).toFixed(0), lines.toFixed(1)];
}

const load = loadavg()[0]!.toFixed(1);
const cleanFiles = PHOTOS.map((f) => readFileSync(f));
const markedFiles = await Promise.all(PHOTOS.map(async (f, i) => renderWatermark(readFileSync(f), i % 2 ? 'Getty Images' : 'Shutterstock', i % 2 ? 'tiled' : 'centred', 0.5)));
const clean = await Promise.all(cleanFiles.map(raster));
const marked = await Promise.all(markedFiles.map(raster));
const rows: (string | number)[][] = [];
for (const threads of [1, 2]) {
  const service = new PaddleOcrService({ threads });
  const cpu = process.cpuUsage();
  const started = performance.now();
  await service.readRaster(clean[0]!);
  const loadMs = performance.now() - started;
  const loadCpu = process.cpuUsage(cpu);
  log(`threads ${threads}: first pass (model load included) ${loadMs.toFixed(0)} ms wall, ${((loadCpu.user + loadCpu.system) / 1000).toFixed(0)} ms CPU`);
  rows.push(cells(`clean photos, ${threads} thread${threads > 1 ? 's' : ''}`, await measure(service, clean)));
  rows.push(cells(`watermarked, ${threads} thread${threads > 1 ? 's' : ''}`, await measure(service, marked)));
  rows.push([`(first pass incl. model load, ${threads} thread${threads > 1 ? 's' : ''})`, 1, ((loadCpu.user + loadCpu.system) / 1000).toFixed(0), '', loadMs.toFixed(0), '', '']);
  if (threads === 1) {
    rows.push(cells('detector read (closer pass where needed): clean photos, 1 thread', await measureDetector(service, cleanFiles)));
    rows.push(cells('detector read (closer pass where needed): watermarked, 1 thread', await measureDetector(service, markedFiles)));
  }
}
const date = new Date().toISOString().slice(0, 10);
const lines = [
  '# OCR (copyright.watermark_text)',
  '',
  `Generated by \`node --import tsx bench/ocr.ts ${process.argv.slice(2).join(' ')}\` on ${date}; ${machine()}; load average at start ${load} — the machine was shared with other jobs, so wall times are inflated (CPU time is the better guide to one core's cost).`,
  '',
  `${PHOTOS.length} real photos (object-photos, immich text and nature albums) at ${OCR_RASTER_SIDE} px long side (smaller ones enlarged to it, as the detector does), clean and with a rendered 50 % watermark (centred Shutterstock / tiled Getty Images). PaddleOCR PP-OCRv4 detection + recognition via @gutenye/ocr-node and onnxruntime-node; times are raster → text lines, decode excluded. "Detector read" rows are what \`copyright.watermark_text\` spends: the first pass, and where it names no agency a second pass over the bottom credit band at twice the size plus, if the first pass read unmatched text, the whole picture with CLAHE-equalised luma.`,
  '',
  table(['images', 'passes', 'CPU p50 ms', 'CPU p90 ms', 'wall p50 ms', 'wall p90 ms', 'text lines'], rows),
  '',
];
writeFileSync(path.join(ROOT, 'docs/bench-ocr.md'), lines.join('\n'));
console.log(lines.join('\n'));
