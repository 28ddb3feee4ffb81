import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTenant } from '../../src/db/tenants.ts';
import { getUpload } from '../../src/db/uploads.ts';
import { listReviewItems } from '../../src/review/items.ts';
import { uploadReport } from '../../src/uploads/report.ts';
import { BAD_INPUTS } from '../support/bad-inputs.ts';
import { BACKENDS, postgresAvailable } from '../support/databases.ts';
import { startTestTollgate, type TestTollgate } from '../support/tollgate.ts';

const DOG = readFileSync('../shared/data/object-photos/dog.jpg');
const EAGLE = readFileSync('../shared/data/object-photos/eagle.jpg');

describe.each(BACKENDS)('upload pipeline on $name', (backend) => {
  let t: TestTollgate | undefined;
  let tenantId: string;

  beforeAll(async () => {
    if (backend.name === 'postgres' && !(await postgresAvailable())) return;
    t = await startTestTollgate(await backend.open(), {}, { retries: 1, retryDelaySeconds: 1 });
    await t.startWorkers();
    tenantId = (await ensureTenant(t.tollgate.db, 'pipeline')).id;
  });
  afterAll(async () => t?.close());

  const settled = (id: string): Promise<string> => t!.settled(id);
  const upload = (bytes: Buffer, contributor?: string, fileName?: string) =>
    t!.upload(tenantId, bytes, { ...(contributor ? { contributor_id: contributor } : {}), ...(fileName ? { file_name: fileName } : {}) });

  it('gives a real photo a verdict with the contract fields', async (context) => {
    if (!t) return context.skip();
    const report = await upload(EAGLE, 'alice', 'eagle.jpg');
    expect(report.status).toBe('done');
    expect(report.media).toMatchObject({ type: 'image', mime: 'image/jpeg' });
    expect(report.fingerprints).toMatchObject({ pdq: { hash: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    expect(report.verdict?.decision).toBe('accept');
    expect(Object.keys(report.scores ?? {})).toEqual(['ai_generated', 'tampering', 'copyright_risk', 'duplicate', 'quality']);
  });

  it('tells a contributor re-uploading their own file from someone else uploading it', async (context) => {
    if (!t) return context.skip();
    const first = await upload(DOG, 'bob');
    expect(first.verdict?.decision).toBe('accept');
    const own = await upload(DOG, 'bob');
    const other = await upload(DOG, 'carol');
    expect(own.verdict).toEqual({ decision: 'reject', reasons: ['dup.exact'] });
    expect(own.signals.find((s) => s.code === 'dup.exact')?.evidence).toMatchObject({ same_contributor: true, matched_upload: first.id });
    expect(other.signals.find((s) => s.code === 'dup.exact')).toMatchObject({ severity: 'critical', evidence: { same_contributor: false } });
  });

  it('runs an upload it ingests at once, claimed in the ingest, with no queue job and its hold released with the verdict', async (context) => {
    if (!t) return context.skip();
    const report = await upload(Buffer.concat([DOG, Buffer.from('held upload test')]), 'dave');
    expect(report.status).toBe('done');
    const row = await getUpload(t.tollgate.db, tenantId, report.id);
    expect(row?.attempts).toBe(1);
    const jobs = await t.tollgate.db.query(`SELECT state FROM pgboss.job WHERE data->>'uploadId' = $1`, [report.id]);
    expect(jobs).toEqual([]);
    expect(await t.tollgate.db.query('SELECT 1 FROM upload_holds WHERE upload_id = $1', [report.id])).toEqual([]);
  });

  it('flags exactly one of two copies of the same bytes sent at once', async (context) => {
    if (!t) return context.skip();
    for (let i = 0; i < 3; i++) {
      const bytes = Buffer.concat([EAGLE, Buffer.from(`sent twice at once ${i}`)]);
      const copies = await Promise.all([upload(bytes, 'erin'), upload(bytes, 'erin')]);
      const flagged = copies.filter((r) => r.signals.some((s) => s.code === 'dup.exact'));
      expect(flagged, `round ${i}`).toHaveLength(1);
    }
  });

  it('keeps every malformed file with its status, error code and a verdict', async (context) => {
    if (!t) return context.skip();
    for (const bad of BAD_INPUTS) {
      const report = await upload(bad.bytes, 'mallory', bad.fileName);
      expect(report, bad.name).toMatchObject({ status: 'error', error: { code: bad.expectedCode } });
      expect(['reject', 'review'], bad.name).toContain(report.verdict?.decision);
    }
  });

  it('ends an upload whose processing keeps failing as error, routed to review', async (context) => {
    if (!t) return context.skip();
    const bytes = Buffer.concat([EAGLE, Buffer.from('unique tail for this test')]);
    const stored = await t.tollgate.blobs.put(bytes);
    await t.tollgate.blobs.delete(stored.key);
    const { ingestUpload } = await import('../../src/uploads/ingest.ts');
    const { uploadId } = await ingestUpload(t.tollgate, tenantId, { key: stored.key, sha256: stored.sha256, bytes: stored.bytes }, {});
    expect(await settled(uploadId)).toBe('failed');
    const row = await getUpload(t.tollgate.db, tenantId, uploadId);
    expect(row).toMatchObject({ status: 'error', error_code: 'blob.not_found', attempts: 2 });
    const report = await uploadReport(t.tollgate.db, tenantId, uploadId);
    expect(report?.verdict).toEqual({ decision: 'review', reasons: ['system.processing_failed'] });
    const queue = await listReviewItems(t.tollgate.db, tenantId, { limit: 100 });
    expect(queue.map((i) => i.upload_id)).toContain(uploadId);
  });

  it('keeps the audit log append-only', async (context) => {
    if (!t) return context.skip();
    await t.tollgate.db.query(`INSERT INTO audit_log (tenant_id, actor, action) VALUES ($1, 'test', 'probe')`, [tenantId]);
    await expect(t.tollgate.db.query(`UPDATE audit_log SET action = 'changed'`)).rejects.toThrow(/append-only/);
    await expect(t.tollgate.db.query(`DELETE FROM audit_log`)).rejects.toThrow(/append-only/);
  });
});
