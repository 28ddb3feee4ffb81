/**
 * Fingerprint benchmarks: Hamming distance representations, the MIH index (build, memory,
 * queries/s and latency at radius 31 on random and clustered data), the same side by side with
 * FAISS (fingerprint-faiss.ts) and PDQ throughput on 12 MP JPEGs. Prints a markdown report and
 * writes docs/bench-fingerprint.md.
 *
 *   node --expose-gc --import tsx bench/fingerprint.ts [--10m] [--quick]
 *
 * --10m adds the 10 M-hash runs (~1.6 GB peak per process); --quick shrinks everything for a smoke run.
 * The FAISS rows need Debian's python3-faiss; without it they are reported as not run.
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { hammingBigInt, hammingHex, hammingWords, hexToBigInt, wordsToHex } from '../src/fingerprint/bits.ts';
import { HammingIndex } from '../src/fingerprint/mih.ts';
import { pdqDihedral, pdqFromRaster } from '../src/fingerprint/pdq.ts';
import { fingerprintView, PDQ_RASTER_MAX_SIDE } from '../src/fingerprint/view.ts';
import { openMedia } from '../src/media/open.ts';
import { benchVsFaiss, logVsFaiss, type VsResult } from './fingerprint-faiss.ts';
import { clusteredWords, makeQueries, mixedWords, randomWords } from './hash-data.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
const gc = (globalThis as { gc?: () => void }).gc;
const out: string[] = [];
const log = (s = ''): void => {
  console.log(s);
  out.push(s);
};
const mb = (b: number): string => (b / 2 ** 20).toFixed(0);
const ms = (x: number): string => x.toFixed(x < 10 ? 3 : 1);

function settle(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().rss;
}

function benchDistance(): void {
  const n = QUICK ? 20_000 : 200_000;
  const a = randomWords(n * 8);
  const b = randomWords(n * 8);
  const hexA = Array.from({ length: n }, (_, i) => wordsToHex(a, i * 8, 8));
  const hexB = Array.from({ length: n }, (_, i) => wordsToHex(b, i * 8, 8));
  const bigA = hexA.map(hexToBigInt);
  const bigB = hexB.map(hexToBigInt);
  const time = (f: () => number): number => {
    f();
    const t = performance.now();
    let sink = 0;
    for (let r = 0; r < 5; r++) sink += f();
    const dt = (performance.now() - t) / 5;
    if (sink < 0) console.log(sink);
    return (n / dt) * 1000;
  };
  const rows: Array<[string, number]> = [
    ['Uint32Array words (SWAR popcount)', time(() => { let s = 0; for (let i = 0; i < n; i++) s += hammingWords(a, i * 8, b, i * 8, 8); return s; })],
    ['bigint (XOR + 32-bit slices)', time(() => { let s = 0; for (let i = 0; i < n; i++) s += hammingBigInt(bigA[i]!, bigB[i]!); return s; })],
    ['hex strings (parse per call)', time(() => { let s = 0; for (let i = 0; i < n; i++) s += hammingHex(hexA[i]!, hexB[i]!); return s; })],
  ];
  log('## 256-bit Hamming distance');
  log();
  log('| representation | distances/s |');
  log('|---|---:|');
  for (const [name, rate] of rows) log(`| ${name} | ${(rate / 1e6).toFixed(2)} M |`);
  log();
}

interface IndexResult {
  label: string;
  n: number;
  chunks: number;
  buildS: number;
  indexMb: number;
  rssMb: number;
  qps: number;
  p50: number;
  p99: number;
  max: number;
  cpuP50: number;
  cpuP99: number;
  meanHits: number;
}

function benchIndex(label: string, n: number, words: Uint32Array | null, make: () => Uint32Array, chunks?: number): IndexResult {
  let data: Uint32Array | null = words ?? make();
  const ids = new Float64Array(n);
  for (let i = 0; i < n; i++) ids[i] = i;
  const ix = new HammingIndex({ bits: 256, capacity: n, chunks });
  const t0 = performance.now();
  ix.addMany(ids, data);
  const buildS = (performance.now() - t0) / 1000;
  // Queries: half near copies of stored hashes (the duplicate case), half unrelated hashes.
  const nq = QUICK ? 500 : 5000;
  const queries = makeQueries(data, n, nq);
  data = null; // drop the generator's copy so RSS shows the index alone
  const rss = settle();
  for (let i = 0; i < Math.min(300, nq); i++) ix.searchWords(queries.subarray(i * 8, i * 8 + 8), 31);
  const lat = new Float64Array(nq);
  const cpu = new Float64Array(nq);
  let hits = 0;
  const t1 = performance.now();
  for (let i = 0; i < nq; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    hits += ix.searchWords(queries.subarray(i * 8, i * 8 + 8), 31).length;
    lat[i] = performance.now() - t;
    const dc = process.cpuUsage(c);
    cpu[i] = (dc.user + dc.system) / 1000;
  }
  const total = performance.now() - t1;
  lat.sort();
  cpu.sort();
  return {
    label, n, chunks: ix.chunkCount, buildS, indexMb: ix.bytes / 2 ** 20, rssMb: rss / 2 ** 20,
    qps: (nq / total) * 1000, p50: lat[Math.floor(nq * 0.5)]!, p99: lat[Math.floor(nq * 0.99)]!, max: lat[nq - 1]!, meanHits: hits / nq,
    cpuP50: cpu[Math.floor(nq * 0.5)]!, cpuP99: cpu[Math.floor(nq * 0.99)]!,
  };
}

function logIndex(results: IndexResult[]): void {
  log('## MIH index, 256-bit, radius 31');
  log();
  log('Queries: half near copies of stored hashes (0–19 bits flipped), half unrelated random hashes; 300 warm-up queries.');
  log('RSS: whole-process resident memory after building and dropping the input buffer (GC forced); each 10 M');
  log('run is a fresh child process, the 1 M runs share one process (so their RSS includes freed earlier indexes).');
  log('Wall-clock latency includes time the process waited for a CPU on this shared machine; CPU-time latency');
  log('(getrusage per query, ~µs resolution) is the work a query costs.');
  log();
  log('| data | hashes | chunks m | build s | index MB (typed arrays) | RSS MB | queries/s | p50 ms | p99 ms | max ms | CPU p50 ms | CPU p99 ms | hits/query |');
  log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    log(`| ${r.label} | ${r.n.toLocaleString('en')} | ${r.chunks} | ${r.buildS.toFixed(1)} | ${r.indexMb.toFixed(0)} | ${r.rssMb.toFixed(0)} | ${r.qps.toFixed(0)} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.max)} | ${ms(r.cpuP50)} | ${ms(r.cpuP99)} | ${r.meanHits.toFixed(2)} |`);
  }
  log();
}

async function benchPdq(): Promise<void> {
  // A 12 MP JPEG with real photographic content: a photo upscaled, re-encoded at q=90.
  const side = QUICK ? [1600, 1200] : [4000, 3000];
  const src = join(ROOT, '..', 'shared', 'data', 'object-photos', 'dog.jpg');
  let base;
  try {
    base = sharp(src);
    await base.metadata();
  } catch {
    base = sharp({ create: { width: 64, height: 48, channels: 3, background: '#808080' } }).png();
  }
  const jpeg = await base.resize(side[0], side[1], { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer();
  const reps = QUICK ? 3 : 10;
  // CPU time of this process (sharp's libvips threads included) alongside wall time.
  const time = async (f: () => Promise<unknown>): Promise<[number, number]> => {
    await f();
    const c = process.cpuUsage();
    const t = performance.now();
    for (let i = 0; i < reps; i++) await f();
    const dc = process.cpuUsage(c);
    return [(performance.now() - t) / reps, (dc.user + dc.system) / 1000 / reps];
  };
  const view = await openMedia(jpeg);
  const full = await view.raster({ maxSide: Math.max(side[0]!, side[1]!), channels: 3 });
  const rows: Array<[string, [number, number]]> = [
    [`openMedia + fingerprintView (PDQ + pHash + dHash, ${PDQ_RASTER_MAX_SIDE} px raster)`, await time(async () => fingerprintView(await openMedia(jpeg)))],
    ['full-resolution decode + pdqFromRaster (no downsampling)', await time(async () => pdqFromRaster(await (await openMedia(jpeg)).raster({ maxSide: Math.max(side[0]!, side[1]!), channels: 3 })))],
    ['pdqFromRaster on a decoded 12 MP raster (hashing only)', await time(async () => pdqFromRaster(full))],
    ['pdqDihedral on a decoded 12 MP raster (8 hashes)', await time(async () => pdqDihedral(full))],
  ];
  log(`## PDQ on a ${side[0]}×${side[1]} JPEG (${(jpeg.length / 1e6).toFixed(1)} MB)`);
  log();
  log('| path | wall ms/image | CPU ms/image | images/s per core (CPU) |');
  log('|---|---:|---:|---:|');
  for (const [name, [wall, cpu]] of rows) log(`| ${name} | ${wall.toFixed(1)} | ${cpu.toFixed(1)} | ${(1000 / cpu).toFixed(1)} |`);
  log();
}

/** The 10 M runs in a fresh process each, so RSS is not inflated by pages earlier runs left behind. */
function child10m(chunks: string): IndexResult {
  const file = fileURLToPath(import.meta.url);
  const outText = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', file, '--child-10m', chunks], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(outText.trim().split('\n').pop()!) as IndexResult;
}

async function main(): Promise<void> {
  const childIdx = process.argv.indexOf('--child-10m');
  if (childIdx >= 0) {
    const m = process.argv[childIdx + 1];
    const chunks = m === 'auto' ? undefined : Number(m);
    console.log(JSON.stringify(benchIndex(chunks ? `random, m = ${chunks}` : 'random', 10_000_000, null, () => randomWords(80_000_000), chunks)));
    return;
  }
  log('# Fingerprint benchmarks');
  log();
  log(`Generated by \`node --expose-gc --import tsx bench/fingerprint.ts${args.has('--10m') ? ' --10m' : ''}\` on ${new Date().toISOString().slice(0, 16)}Z, ` +
    `Node ${process.version}, ${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}; load average at start ${loadavg().map((x) => x.toFixed(1)).join('/')} ` +
    '(a shared machine: latency tails include other processes).');
  log();
  benchDistance();
  const n1 = QUICK ? 100_000 : 1_000_000;
  const results: IndexResult[] = [];
  results.push(benchIndex('random', n1, null, () => randomWords(n1 * 8)));
  results.push(benchIndex('random, m = 11 (the 10 M layout)', n1, null, () => randomWords(n1 * 8), 11));
  results.push(benchIndex('clustered (groups of 10 near copies)', n1, null, () => clusteredWords(n1, 10)));
  if (args.has('--10m')) {
    results.push(child10m('auto'));
    results.push(child10m('12'));
  }
  logIndex(results);
  // Side by side with FAISS on one mixed set per size; the 10 M run time-boxes FAISS's brute force to 1,000 queries.
  const vs: VsResult[] = [];
  vs.push(benchVsFaiss('mixed', mixedWords(n1), n1, QUICK ? 500 : 5000, QUICK ? 200 : 1000, QUICK ? 200 : 1000));
  if (args.has('--10m')) vs.push(benchVsFaiss('mixed', mixedWords(10_000_000), 10_000_000, 5000, 1000, 500));
  logVsFaiss(vs, log);
  await benchPdq();
  log('## Notes');
  log();
  log('- CPU-time latency is the cost of a query; wall-clock tails on a shared machine follow its load average.');
  log('- The chunk count m is planned from the index size at each rebuild (mih-chunks.ts); the fixed-m rows show the alternatives.');
  log('- Rebuilds are synchronous counting sorts (see build s); they run when recent additions pass max(4096, size/8).');
  log(`- The product path hashes a ${PDQ_RASTER_MAX_SIDE}-px raster, as Meta's reference hasher downsamples to 512 first (src/fingerprint/view.ts); the full-resolution rows show the cost without that.`);
  log();
  if (!QUICK) writeFileSync(join(ROOT, 'docs', 'bench-fingerprint.md'), `${out.join('\n')}\n`);
  void mb;
}

await main();
