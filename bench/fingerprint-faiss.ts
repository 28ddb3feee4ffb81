/**
 * Side by side with FAISS (issue 3): our MIH index, FAISS's IndexBinaryMultiHash with the parameters
 * HMA uses, and FAISS's IndexBinaryFlat, on one hash set and one query set at radius 31. Each index
 * is built in its own process from the same temp file, so build time and resident memory are its own;
 * recall is checked against a brute-force scan done here, independent of all three.
 *
 * fingerprint.ts calls benchVsFaiss(); this file run directly with --child is the process that
 * measures our index.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TollgateError } from '../src/errors.ts';
import { popcount32 } from '../src/fingerprint/bits.ts';
import { HammingIndex } from '../src/fingerprint/mih.ts';
import { makeQueries } from './hash-data.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const RADIUS = 31;

export interface VsRow {
  index: string;
  threads: string;
  n: number;
  queries: number;
  buildS: number;
  rssBaseMb: number;
  rssMb: number;
  hwmMb: number;
  qps: number;
  /** Queries per second of CPU time: the rate with the machine to itself. */
  cpuQps: number;
  p50: number;
  p99: number;
  cpuP50: number;
  cpuP99: number;
  meanHits: number;
  truthQueries: number;
  truthHits: number;
  recall: number;
  extra: number;
  /** 1-minute load average when the process finished: other agents share this machine's 2 cores. */
  load?: number;
}

export interface VsResult {
  label: string;
  rows: VsRow[];
  /** Why the FAISS rows are missing, when they are. */
  faissMissing?: string;
  flatQueries: number;
}

function statusMb(field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** Brute force over every stored hash: the ground truth all three indexes are held to. */
function bruteForce(data: Uint32Array, n: number, queries: Uint32Array, t: number): Uint32Array {
  const out: number[] = [];
  for (let qi = 0; qi < t; qi++) {
    const q = queries.subarray(qi * 8, qi * 8 + 8);
    const hits: number[] = [];
    for (let i = 0, o = 0; i < n; i++, o += 8) {
      let d = popcount32((data[o]! ^ q[0]!) >>> 0) + popcount32((data[o + 1]! ^ q[1]!) >>> 0)
        + popcount32((data[o + 2]! ^ q[2]!) >>> 0) + popcount32((data[o + 3]! ^ q[3]!) >>> 0);
      if (d > RADIUS) continue;
      for (let k = 4; k < 8; k++) d += popcount32((data[o + k]! ^ q[k]!) >>> 0);
      if (d <= RADIUS) hits.push(i);
    }
    out.push(hits.length, ...hits);
  }
  return Uint32Array.from(out);
}

function parseTruth(raw: Uint32Array): Set<number>[] {
  const truth: Set<number>[] = [];
  for (let at = 0; at < raw.length; at += 1 + raw[at]!) truth.push(new Set(raw.subarray(at + 1, at + 1 + raw[at]!)));
  return truth;
}

/** Reads `count` 32-byte hashes starting at byte `pos` into fresh (aligned) words. */
function readHashes(fd: number, pos: number, count: number): Uint32Array {
  const words = new Uint32Array(count * 8);
  const bytes = new Uint8Array(words.buffer);
  for (let done = 0; done < bytes.length;) {
    const got = readSync(fd, bytes, done, bytes.length - done, pos + done);
    if (got === 0) throw new TollgateError('input.invalid', `short read at byte ${pos + done}`);
    done += got;
  }
  return words;
}

/** The child process that measures our index exactly as faiss_pdq.py measures FAISS's. */
function childOurs(dataPath: string, truthPath: string, maxQueries: number): VsRow {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new TollgateError('config.invalid', 'run with node --expose-gc');
  gc();
  const rssBaseMb = statusMb('VmRSS');
  const fd = openSync(dataPath, 'r');
  const head = new Uint32Array(4);
  readSync(fd, new Uint8Array(head.buffer), 0, 16, 0);
  const n = head[0]!;
  const nq = Math.min(head[1]!, maxQueries);
  let data: Uint32Array | null = readHashes(fd, 16, n);
  const queries = readHashes(fd, 16 + n * 32, nq);
  closeSync(fd);
  const truth = parseTruth(new Uint32Array(new Uint8Array(readFileSync(truthPath)).buffer));
  let ids: Float64Array | null = new Float64Array(n);
  for (let i = 0; i < n; i++) ids[i] = i;
  const t0 = performance.now();
  const ix = new HammingIndex({ bits: 256, capacity: n });
  ix.addMany(ids, data);
  const buildS = (performance.now() - t0) / 1000;
  data = null;
  ids = null;
  gc();
  gc();
  const rssMb = statusMb('VmRSS');
  for (let i = 0; i < Math.min(300, nq); i++) ix.searchWords(queries.subarray(i * 8, i * 8 + 8), RADIUS);
  const lat = new Float64Array(nq);
  const cpu = new Float64Array(nq);
  let hits = 0;
  let found = 0;
  let missed = 0;
  let extra = 0;
  const t1 = performance.now();
  for (let i = 0; i < nq; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    const res = ix.searchWords(queries.subarray(i * 8, i * 8 + 8), RADIUS);
    lat[i] = performance.now() - t;
    const dc = process.cpuUsage(c);
    cpu[i] = (dc.user + dc.system) / 1000;
    hits += res.length;
    const want = truth[i];
    if (want) {
      const got = new Set(res.map((m) => m.id));
      for (const id of got) if (want.has(id)) found++; else extra++;
      for (const id of want) if (!got.has(id)) missed++;
    }
  }
  const total = performance.now() - t1;
  const cpuTotal = cpu.reduce((a, b) => a + b, 0);
  lat.sort();
  cpu.sort();
  return {
    index: `Tollgate HammingIndex (MIH, m = ${ix.chunkCount})`, threads: '1 (JS main thread)', n, queries: nq, buildS, rssBaseMb, rssMb,
    hwmMb: statusMb('VmHWM'), qps: (nq / total) * 1000, cpuQps: (nq / cpuTotal) * 1000, p50: lat[nq >> 1]!, p99: lat[Math.floor(nq * 0.99)]!,
    cpuP50: cpu[nq >> 1]!, cpuP99: cpu[Math.floor(nq * 0.99)]!, meanHits: hits / nq,
    truthQueries: Math.min(nq, truth.length), truthHits: found + missed, recall: found + missed ? found / (found + missed) : 1, extra,
  };
}

/** A Python that can import Debian's faiss: python3-faiss installs for /usr/bin/python3, which a pyenv shim may hide. */
export function findFaissPython(): string | null {
  const candidates = [process.env.TOLLGATE_FAISS_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => !!p);
  for (const py of candidates) {
    if (spawnSync(py, ['-c', 'import faiss'], { stdio: 'ignore' }).status === 0) return py;
  }
  return null;
}

function runJson(cmd: string, args: string[]): VsRow {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new TollgateError('server.internal', `${cmd} ${args.join(' ')} exited ${r.status}: ${r.stdout}`);
  return { ...(JSON.parse(r.stdout.trim().split('\n').pop()!) as VsRow), load: loadavg()[0] };
}

/**
 * Writes the data and brute-force truth to a temp folder, then measures each index in its own
 * process. `nq` queries for the MIH indexes, `flatQueries` for FAISS's brute force, `truthQueries`
 * (the first ones) checked for recall.
 */
export function benchVsFaiss(label: string, data: Uint32Array, n: number, nq: number, flatQueries: number, truthQueries: number): VsResult {
  const queries = makeQueries(data, n, nq);
  const truth = bruteForce(data, n, queries, truthQueries);
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-faiss-'));
  const dataPath = join(dir, 'hashes.bin');
  const truthPath = join(dir, 'truth.bin');
  try {
    const fd = openSync(dataPath, 'w');
    writeFileSync(fd, new Uint8Array(Uint32Array.of(n, nq, 0, 0).buffer));
    writeFileSync(fd, new Uint8Array(data.buffer, data.byteOffset, n * 32));
    writeFileSync(fd, new Uint8Array(queries.buffer));
    closeSync(fd);
    writeFileSync(truthPath, new Uint8Array(truth.buffer));
    const rows = [runJson(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--child', dataPath, truthPath, String(nq)])];
    const py = findFaissPython();
    if (!py) return { label, rows, flatQueries, faissMissing: 'FAISS not found: `apt-get install -y python3-faiss` (Debian), or set TOLLGATE_FAISS_PYTHON to a Python that imports faiss' };
    const script = join(HERE, 'faiss_pdq.py');
    rows.push(runJson(py, [script, dataPath, truthPath, 'mih', String(RADIUS), String(nq)]));
    rows.push(runJson(py, [script, dataPath, truthPath, 'flat', String(RADIUS), String(flatQueries)]));
    return { label, rows, flatQueries };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ms = (x: number): string => x.toFixed(x < 10 ? 3 : 1);

export function logVsFaiss(results: VsResult[], log: (s?: string) => void): void {
  log('## Side by side with FAISS, 256-bit, radius 31');
  log();
  log('Prerequisite: Debian\'s `python3-faiss` (`apt-get install -y python3-faiss`, FAISS 1.7.3 on bookworm, imported by');
  log('`/usr/bin/python3` or `TOLLGATE_FAISS_PYTHON`); without it the FAISS rows are reported as not run. CI does not run benches.');
  log();
  log('Hash set: half unrelated random hashes, half clustered groups of 10 near copies (0–24 bits flipped). Queries as above');
  log('(half near copies of stored hashes, half random). Every index is built in its own process from the same temp file;');
  log('RSS is that process\'s resident memory after building with the input freed, "over base" subtracts the process\'s RSS');
  log('before it read the data (Node or Python runtime with FAISS loaded), peak is VmHWM. One query per call, timed one');
  log('by one; all three on one thread (FAISS `omp_set_num_threads(1)`, our index on the JS main thread). FAISS multi-hash');
  log('uses HMA\'s parameters: `IndexBinaryMultiHash(256, 16, 16)`, nflip = 31 // 16 = 1, `range_search(q, 32)`');
  log('(python-threatexchange `pdq_faiss_matcher.py`; HMA also wraps it in `IndexBinaryIDMap2`, left out here, which only adds');
  log('memory). Recall and "extra" (results not in the truth) are checked against a brute-force scan over the first');
  log('queries (truth column); FAISS\'s brute-force flat index is time-boxed to fewer queries. "load" is the machine\'s');
  log('1-minute load average when that process ended (2 cores shared with other agents: wall-clock tails include their');
  log('work, CPU-time columns do not).');
  log();
  log('Debian\'s FAISS 1.7.3 is a generic x86-64 build: `objdump -d` of its `_swigfaiss` module finds no `popcnt` instruction');
  log('and the package has no AVX2 variant, so its Hamming distances use a software popcount, like our JavaScript (SWAR).');
  log('Builds with hardware popcount would scan faster. At 10 M hashes HMA\'s multi-hash layout probes 16 tables × 17 keys');
  log('(nflip 1) of ~153 hashes each (10 M / 2^16): about 41,600 candidates per query, deduplicated in a hash set.');
  log();
  for (const r of results) {
    if (r.faissMissing) log(`${r.label}, ${r.rows[0]?.n.toLocaleString('en') ?? ''} hashes: FAISS rows not run — ${r.faissMissing}.`);
  }
  if (results.some((r) => r.faissMissing)) log();
  log('| data | hashes | index | threads | queries timed | build s | RSS MB | over base MB | peak MB | queries/s | queries/s of CPU | p50 ms | p99 ms | CPU p50 ms | CPU p99 ms | hits/query | recall (truth queries, hits) | extra | load |');
  log('|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|');
  for (const r of results) {
    for (const x of r.rows) {
      log(`| ${r.label} | ${x.n.toLocaleString('en')} | ${x.index} | ${x.threads} | ${x.queries.toLocaleString('en')} | ${x.buildS.toFixed(1)} | ${x.rssMb.toFixed(0)} | ${(x.rssMb - x.rssBaseMb).toFixed(0)} | ${x.hwmMb.toFixed(0)} | ` +
        `${x.qps.toFixed(0)} | ${x.cpuQps.toFixed(0)} | ${ms(x.p50)} | ${ms(x.p99)} | ${ms(x.cpuP50)} | ${ms(x.cpuP99)} | ${x.meanHits.toFixed(2)} | ${x.recall.toFixed(4)} (${x.truthQueries}, ${x.truthHits}) | ${x.extra} | ${x.load?.toFixed(1) ?? ''} |`);
    }
  }
  log();
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--child') {
  console.log(JSON.stringify(childOurs(process.argv[3]!, process.argv[4]!, Number(process.argv[5]))));
}
