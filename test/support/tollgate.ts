import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTollgate, type CreateOptions, type Tollgate } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';
import type { QueueOptions } from '../../src/jobs/queue.ts';
import type { TestDatabase } from './databases.ts';

export interface TestTollgate {
  tollgate: Tollgate;
  dataDir: string;
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
  return {
    tollgate,
    dataDir,
    close: async () => {
      await tollgate.close();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Only the duplicate and bank detectors: verdicts that must not move when another family changes its mind. */
export function startDupOnlyTollgate(database: TestDatabase): Promise<TestTollgate> {
  return startTestTollgate(database, {}, {}, { detectorFilter: (d) => d.name.startsWith('dup.') || d.name.startsWith('ref.') });
}
