/**
 * \`tollgate scan\` throughput: each scan in a fresh process (bench/scan-once.ts), as the command runs, so
 * every run starts with cold code whether it analyses on threads or on the main thread.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LONG_RUNNING_FLAGS } from '../bin/node-flags.js';
import type { ScanRun } from './scan-once.ts';
import { jsonFromChild, syntheticPhoto, table } from './support.ts';

function scanOnce(corpus: string, threads: string, databaseUrl: string | undefined, folders: string[]): Promise<ScanRun> {
  return jsonFromChild(LONG_RUNNING_FLAGS, 'bench/scan-once.ts', [corpus, threads, databaseUrl ?? '-', ...folders]);
}

/** `count` synthetic 12 MP JPEGs written to a temporary folder. */
async function syntheticFolder(count: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-bench-synthetic-'));
  for (let i = 0; i < count; i++) writeFileSync(join(dir, `synthetic-${i + 1}.jpg`), await syntheticPhoto(i + 1));
  return dir;
}

export async function benchScan(databaseUrl: string | undefined, log: (line: string) => void): Promise<string> {
  const camera = '../shared/data/exif-camera-samples/images';
  log('generating 96 synthetic 12 MP JPEGs');
  const synthetic = await syntheticFolder(96);
  const runs: ScanRun[] = [];
  try {
    for (const url of databaseUrl ? [undefined, databaseUrl] : [undefined]) {
      for (const threads of ['auto', '0']) {
        for (const [name, folders] of [
          ['exif-camera-samples (real photos)', [camera]],
          ['synthetic 12 MP JPEGs', [synthetic]],
        ] as const) {
          log(`scan: ${name} on ${url ? 'PostgreSQL' : 'PGlite'}, analysis threads ${threads}`);
          runs.push(await scanOnce(name, threads, url, [...folders]));
        }
      }
    }
  } finally {
    rmSync(synthetic, { recursive: true, force: true });
  }
  return table(
    ['corpus', 'database', 'analysis', 'files', 'megapixels', 'start-up (ms)', 'seconds', 'files/s', 'MP/s', 'RSS MB: inputs read · peak'],
    runs.map((r) => [r.corpus, r.database, r.analysis, r.files, r.megapixels.toFixed(0), r.startupMs, r.seconds.toFixed(1), (r.files / r.seconds).toFixed(1), (r.megapixels / r.seconds).toFixed(1), `${r.rssMb.inputsRead.toFixed(0)} · ${r.rssMb.peak.toFixed(0)}`]),
  );
}
