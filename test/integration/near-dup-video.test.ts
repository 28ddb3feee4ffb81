import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTollgate, type Tollgate } from '../../src/app.ts';
import { createBank, insertBankEntries } from '../../src/banks/banks.ts';
import { loadConfig } from '../../src/config/index.ts';
import { ensureTenant } from '../../src/db/tenants.ts';
import { ingestBytes } from '../../src/uploads/ingest.ts';
import { uploadReport, type UploadReport } from '../../src/uploads/report.ts';
import { BACKENDS, postgresAvailable } from '../support/databases.ts';

const DIR = '../shared/data/tmk-vpdq-videos/videos';
const video = (name: string): Buffer => readFileSync(join(DIR, `${name}.mp4`));

describe.skipIf(!existsSync(DIR)).each(BACKENDS)('video near duplicates on $name', (backend) => {
  let tollgate: Tollgate | undefined;
  let dataDir: string;
  let drop: () => Promise<void>;
  let tenantId: string;
  const waiters = new Map<string, () => void>();
  const done = new Set<string>();

  beforeAll(async () => {
    if (backend.name === 'postgres' && !(await postgresAvailable())) return;
    const database = await backend.open();
    drop = database.drop;
    dataDir = mkdtempSync(join(tmpdir(), 'tollgate-video-'));
    tollgate = await createTollgate(loadConfig({ env: { TOLLGATE_DATA_DIR: dataDir } }), {
      db: database.db,
      queue: { pollingIntervalSeconds: 0.5 },
      detectorFilter: (d) => d.name.startsWith('dup.') || d.name.startsWith('ref.'),
    });
    await tollgate.startWorkers({
      onProcessed: (id) => {
        done.add(id);
        waiters.get(id)?.();
      },
    });
    tenantId = (await ensureTenant(tollgate.db, 'video')).id;
  });
  afterAll(async () => {
    await tollgate?.close();
    await drop?.();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function upload(bytes: Buffer, contributor: string): Promise<UploadReport> {
    const { uploadId } = await ingestBytes(tollgate!, tenantId, bytes, { contributor_id: contributor });
    if (!done.has(uploadId)) await new Promise<void>((resolve) => waiters.set(uploadId, resolve));
    return (await uploadReport(tollgate!.db, tenantId, uploadId))!;
  }

  it("stores per-frame vPDQ and rejects another contributor's re-graded copy as dup.video_near", async (context) => {
    if (!tollgate) return context.skip();
    const original = await upload(video('chair-20-sd-bar'), 'alice');
    expect(original.verdict?.decision).toBe('accept');
    const frames = await tollgate.db.query<{ n: number }>("SELECT count(*)::int AS n FROM upload_hashes WHERE upload_id = $1 AND kind = 'vpdq'", [original.id]);
    expect(frames[0]?.n).toBeGreaterThan(5);

    const sepia = await upload(video('chair-22-sd-sepia-bar'), 'bob');
    expect(sepia.verdict).toEqual({ decision: 'reject', reasons: ['dup.video_near'] });
    expect(sepia.signals[0]).toMatchObject({
      code: 'dup.video_near',
      severity: 'critical',
      evidence: { matched_upload: original.id, same_contributor: false, query_match_percent: expect.any(Number), target_match_percent: expect.any(Number) },
    });
    const unrelated = await upload(video('doorknob-hd-no-bar'), 'alice');
    expect(unrelated.signals).toEqual([]);
  });

  it('matches video frames against bank entries', async (context) => {
    if (!tollgate) return context.skip();
    const stored = await tollgate.db.query<{ hash: string; frame: number }>(
      "SELECT h.hash, h.frame FROM upload_hashes h JOIN uploads u ON u.id = h.upload_id WHERE u.tenant_id = $1 AND h.kind = 'vpdq' AND h.quality >= 50 ORDER BY h.id LIMIT 1",
      [tenantId],
    );
    const bank = await createBank(tollgate.db, tenantId, 'fraud-clips', 'fraud');
    await insertBankEntries(tollgate.db, bank, [{ importKey: 'clip-1', frame: 0, pdq: stored[0]!.hash, quality: 100, sourceUrl: 'https://fraud.example/clip-1' }]);
    const again = await upload(video('chair-20-sd-bar'), 'carol');
    expect(again.verdict?.decision).toBe('reject');
    expect(again.signals.find((s) => s.code === 'ref.match')?.evidence).toMatchObject({ bank: 'fraud-clips', bank_kind: 'fraud', source_url: 'https://fraud.example/clip-1' });
  });
});
