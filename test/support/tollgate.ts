import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTollgate, type CreateOptions, type Tollgate } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';
import type { QueueOptions } from '../../src/jobs/queue.ts';
import type { UploadFields } from '../../src/uploads/fields.ts';
import { ingestBytes } from '../../src/uploads/ingest.ts';
import { uploadReport, type UploadReport } from '../../src/uploads/report.ts';
import type { TestDatabase } from './databases.ts';

export interface TestTollgate {
  tollgate: Tollgate;
  dataDir: string;
  /** Starts in-process workers that record each upload's outcome for `settled`. */
  startWorkers(): Promise<void>;
  /** Resolves with the worker's outcome (`decided`, `failed`, …) once the upload was processed. */
  settled(uploadId: string): Promise<string>;
  /** Ingests the bytes, waits for the verdict and returns the stored report. */
  upload(tenantId: string, bytes: Buffer, fields?: UploadFields): Promise<UploadReport>;
  close(): Promise<void>;
}

/** A Tollgate on a test database with filesystem blobs in a temp dir and fast queue timings. */
export async function startTestTollgate(
  database: TestDatabase,
  env: Record<string, string> = {},
  queue: Partial<QueueOptions> = {},
  create: Pick<CreateOptions, 'detectorFilter' | 'extraDetectors'> = {},
): Promise<TestTollgate> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-test-'));
  const config = loadConfig({ env: { TOLLGATE_DATA_DIR: dataDir, TOLLGATE_WORKER_CONCURRENCY: '2', ...env } });
  const tollgate = await createTollgate(config, {
    db: database.db,
    queue: { pollingIntervalSeconds: 0.5, retryDelaySeconds: 1, maintenanceIntervalSeconds: 1, ...queue },
    ...create,
  });
  const outcomes = new Map<string, string>();
  const waiters = new Map<string, (outcome: string) => void>();
  const settled = (uploadId: string): Promise<string> =>
    outcomes.has(uploadId) ? Promise.resolve(outcomes.get(uploadId)!) : new Promise((resolve) => waiters.set(uploadId, resolve));
  return {
    tollgate,
    dataDir,
    startWorkers: () =>
      tollgate.startWorkers({
        onProcessed: (id, outcome) => {
          outcomes.set(id, outcome);
          waiters.get(id)?.(outcome);
        },
      }),
    settled,
    upload: async (tenantId, bytes, fields = {}) => {
      const { uploadId } = await ingestBytes(tollgate, tenantId, bytes, fields);
      await settled(uploadId);
      return (await uploadReport(tollgate.db, tenantId, uploadId))!;
    },
    close: async () => {
      await tollgate.close();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Only the duplicate and bank detectors: verdicts that must not move when another family changes its mind. */
export function startDupOnlyTollgate(database: TestDatabase): Promise<TestTollgate> {
  return startTestTollgate(database, { TOLLGATE_LOCAL_MATCHING: 'true' }, {}, { detectorFilter: (d) => d.name.startsWith('dup.') || d.name.startsWith('ref.') });
}
