/**
 * A worker in its own process, for the crash-recovery test. With SLOW_MS set it registers a detector
 * that announces each upload on stdout and then stalls, so the parent can kill it mid-processing. With
 * INGEST (comma-separated paths) it then ingests those files into tenant `crash` itself, as `serve` does,
 * so its own workers hold them, and announces each.
 */
import { readFileSync } from 'node:fs';
import { createTollgate } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';
import { ensureTenant } from '../../src/db/tenants.ts';
import { ingestBytes } from '../../src/uploads/ingest.ts';
import type { Detector } from '../../src/detectors/types.ts';

const slowMs = Number(process.env['SLOW_MS'] ?? 0);
const stall: Detector = {
  name: 'test.stall',
  codes: [],
  kinds: ['image', 'video'],
  timeoutMs: slowMs + 60_000,
  async detect(_view, { upload }) {
    process.stdout.write(`processing ${upload.uploadId}\n`);
    await new Promise((resolve) => setTimeout(resolve, slowMs));
    return [];
  },
};

const config = loadConfig({ env: process.env });
const tollgate = await createTollgate(config, {
  queue: { expireSeconds: Number(process.env['EXPIRE_S'] ?? 4), retryDelaySeconds: 1, maintenanceIntervalSeconds: 1, pollingIntervalSeconds: 0.5 },
  ...(slowMs > 0 ? { extraDetectors: [stall] } : {}),
});
await tollgate.startWorkers({ concurrency: 1, onProcessed: (id, outcome) => process.stdout.write(`processed ${id} ${outcome}\n`) });
process.stdout.write('ready\n');
const ingest = process.env['INGEST']?.split(',') ?? [];
if (ingest.length > 0) {
  const tenant = await ensureTenant(tollgate.db, 'crash');
  for (const [i, path] of ingest.entries()) {
    const { uploadId } = await ingestBytes(tollgate, tenant.id, readFileSync(path), { contributor_id: `held-${i}` });
    process.stdout.write(`ingested ${uploadId}\n`);
  }
}
process.on('SIGTERM', () => {
  void tollgate.close().then(() => process.exit(0));
});
