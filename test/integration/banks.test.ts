import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBank, findBank, listBankEntries } from '../../src/banks/banks.ts';
import { importBank } from '../../src/banks/import.ts';
import { openBankSource } from '../../src/banks/sources/index.ts';
import { createApiKey, createTenant, ensureTenant } from '../../src/db/tenants.ts';
import { buildServer } from '../../src/server/app.ts';
import type { UploadReport } from '../../src/uploads/report.ts';
import { BACKENDS, postgresAvailable } from '../support/databases.ts';
import { startDupOnlyTollgate, type TestTollgate } from '../support/tollgate.ts';

const PHOTOS = '../shared/data/object-photos';
const photo = (name: string): Buffer => readFileSync(join(PHOTOS, name));

const dupOnlyTollgate = startDupOnlyTollgate;

/** Crops `fraction` of the width and height away, split over the four borders. */
async function cropped(bytes: Buffer, fraction: number): Promise<Buffer> {
  const { width = 0, height = 0 } = await sharp(bytes).metadata();
  const dx = Math.round((width * fraction) / 2);
  const dy = Math.round((height * fraction) / 2);
  return sharp(bytes).extract({ left: dx, top: dy, width: width - 2 * dx, height: height - 2 * dy }).jpeg({ quality: 80 }).toBuffer();
}

describe.each(BACKENDS)('reference banks on $name', (backend) => {
  let t: TestTollgate | undefined;
  let tenantId: string;
  let refs: string;

  beforeAll(async () => {
    if (backend.name === 'postgres' && !(await postgresAvailable())) return;
    t = await dupOnlyTollgate(await backend.open());
    await t.startWorkers();
    tenantId = (await ensureTenant(t.tollgate.db, 'banks')).id;
    refs = mkdtempSync(join(tmpdir(), 'tollgate-refs-'));
    mkdirSync(join(refs, 'animals'));
    for (const name of ['eagle.jpg', 'giraffe.jpg']) cpSync(join(PHOTOS, name), join(refs, 'animals', name));
    cpSync(join(PHOTOS, 'horses.jpg'), join(refs, 'horses.jpg'));
  });
  afterAll(async () => {
    await t?.close();
    if (refs) rmSync(refs, { recursive: true, force: true });
  });

  const upload = (bytes: Buffer, contributor: string): Promise<UploadReport> => t!.upload(tenantId, bytes, { contributor_id: contributor });
  const importFolder = async (bankName: string, signal?: AbortSignal, onProgress?: () => void) => {
    const row = (await findBank(t!.tollgate.db, tenantId, bankName))!;
    return importBank({ db: t!.tollgate.db, limits: t!.tollgate.config.limits, bank: row, source: await openBankSource(refs), ...(signal ? { signal } : {}), concurrency: 1, ...(onProgress ? { onProgress } : {}) });
  };

  it('resumes an interrupted import by skipping the keys it recorded', async (context) => {
    if (!t) return context.skip();
    await createBank(t.tollgate.db, tenantId, 'web', 'internet');
    const abort = new AbortController();
    const first = await importFolder('web', abort.signal, () => abort.abort());
    expect(first).toMatchObject({ status: 'interrupted', added: 1 });
    const second = await importFolder('web');
    expect(second).toMatchObject({ status: 'done', keysBefore: 1, added: 2, failed: 0 });
    const again = await importFolder('web');
    expect(again).toMatchObject({ status: 'done', keysBefore: 3, added: 0 });
    const imports = await t.tollgate.db.query<{ status: string; added: number }>('SELECT status, added FROM bank_imports ORDER BY started_at');
    expect(imports.map((i) => [i.status, i.added])).toEqual([['interrupted', 1], ['done', 2], ['done', 0]]);
  });

  it('rejects a re-encoded or slightly cropped copy of a bank image with ref.match naming the source', async (context) => {
    if (!t) return context.skip();
    const reencoded = await upload(await sharp(photo('eagle.jpg')).resize(640).webp({ quality: 60 }).toBuffer(), 'alice');
    expect(reencoded.verdict).toEqual({ decision: 'reject', reasons: ['ref.match'] });
    expect(reencoded.signals.find((s) => s.code === 'ref.match')).toMatchObject({
      severity: 'high',
      evidence: { bank: 'web', bank_kind: 'internet', key: 'animals/eagle.jpg', distance: expect.any(Number) },
    });
    expect(reencoded.signals.find((s) => s.code === 'ref.match')?.message).toContain('animals/eagle.jpg');
    // PDQ alone tolerates about 1–2 % cropped off the borders (see the report); heavier crops need the local-feature matcher.
    const crop = await upload(await cropped(photo('horses.jpg'), 0.02), 'alice');
    expect(crop.verdict?.decision).toBe('reject');
    expect(crop.signals.find((s) => s.code === 'ref.match')?.evidence).toMatchObject({ key: 'horses.jpg' });
    const unrelated = await upload(photo('kite.jpg'), 'alice');
    expect(unrelated.signals).toEqual([]);
  });

  it('rejects a heavily cropped or screenshotted copy through the local-feature matcher, naming the source', async (context) => {
    if (!t) return context.skip();
    const stored = await t.tollgate.db.query<{ n: string }>('SELECT count(*) AS n FROM bank_entry_keypoints');
    expect(Number(stored[0]!.n)).toBe(3);
    // Half the width and height cut away: PDQ sees a different picture.
    const crop = await upload(await cropped(photo('horses.jpg'), 0.5), 'dave');
    // Also dup.cross_account: alice's 2 % crop of the same photo is found the same way.
    expect(crop.verdict).toEqual({ decision: 'reject', reasons: ['dup.cross_account', 'ref.match'] });
    expect(crop.signals.find((s) => s.code === 'dup.cross_account')?.evidence).toMatchObject({ matcher: 'local', same_contributor: false });
    const signal = crop.signals.find((s) => s.code === 'ref.match');
    expect(signal).toMatchObject({ severity: 'high', evidence: { bank: 'web', bank_kind: 'internet', key: 'horses.jpg', matcher: 'local', inliers: expect.any(Number) } });
    expect(signal?.message).toContain('horses.jpg');
    // The eagle shrunk into a phone screenshot between an app's bars.
    const picture = await sharp(photo('eagle.jpg')).resize(1000).toBuffer();
    const { height = 0 } = await sharp(picture).metadata();
    const bar = (h: number, fill: string): Buffer => Buffer.from(`<svg width="1080" height="${h}"><rect width="1080" height="${h}" fill="${fill}"/></svg>`);
    const screenshot = await sharp({ create: { width: 1080, height: 2340, channels: 3, background: '#fafafa' } })
      .composite([
        { input: bar(90, '#111111'), top: 0, left: 0 },
        { input: bar(150, '#1877f2'), top: 90, left: 0 },
        { input: picture, top: Math.round((2340 - height) / 2), left: 40 },
        { input: bar(170, '#ffffff'), top: 2170, left: 0 },
      ])
      .png()
      .toBuffer();
    const shot = await upload(screenshot, 'dave');
    expect(shot.verdict?.decision).toBe('reject');
    expect(shot.signals.find((s) => s.code === 'ref.match')?.evidence).toMatchObject({ key: 'animals/eagle.jpg', matcher: 'local' });
  });

  it('lets an allow-bank match clear the upload of duplicate and reference signals', async (context) => {
    if (!t) return context.skip();
    const splash = await createBank(t.tollgate.db, tenantId, 'app-splash', 'allow');
    const db = t.tollgate.db;
    const hashed = (await db.query<{ pdq: string }>("SELECT pdq FROM bank_entries e JOIN banks b ON b.id = e.bank_id WHERE b.name = 'web' AND e.import_key = 'animals/giraffe.jpg'"))[0]!;
    await db.query(`INSERT INTO bank_entries (bank_id, tenant_id, import_key, pdq, quality) VALUES ($1, $2, 'splash', $3, 100)`, [splash.id, tenantId, hashed.pdq]);
    const first = await upload(photo('giraffe.jpg'), 'bob');
    const second = await upload(photo('giraffe.jpg'), 'carol');
    for (const r of [first, second]) {
      expect(r.verdict?.decision).toBe('accept');
      expect(r.signals.map((s) => s.code)).toEqual(['ref.match']);
      expect(r.signals[0]).toMatchObject({ severity: 'info', evidence: { bank: 'app-splash', bank_kind: 'allow' } });
    }
    expect((await listBankEntries(db, { ...splash }, 10)).length).toBe(1);
  });

  it('imports a URL list from a local server (private addresses only with the flag) and a hash CSV', async (context) => {
    if (!t) return context.skip();
    const server: Server = createServer((req, res) => {
      if (req.url === '/scream.jpg') res.writeHead(200, { 'content-type': 'image/jpeg' }).end(photo('scream.jpg'));
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const list = join(refs, '..', `urls-${backend.name}.txt`);
      writeFileSync(list, `${base}/scream.jpg\n${base}/missing.jpg\n`);
      const bank = await createBank(t.tollgate.db, tenantId, 'crawl', 'internet');
      const run = async (allowPrivateAddresses: boolean) =>
        importBank({ db: t!.tollgate.db, limits: t!.tollgate.config.limits, bank, source: await openBankSource(list, { allowPrivateAddresses }) });
      expect(await run(false)).toMatchObject({ status: 'done', added: 0, skipped: 2 });
      expect(await run(true)).toMatchObject({ status: 'done', added: 1, skipped: 1 });
      const copy = await upload(await sharp(photo('scream.jpg')).resize(400).jpeg({ quality: 55 }).toBuffer(), 'frank');
      expect(copy.verdict).toEqual({ decision: 'reject', reasons: ['ref.match'] });
      expect(copy.signals[0]?.evidence).toMatchObject({ bank: 'crawl', source_url: `${base}/scream.jpg` });
      rmSync(list);

      const csv = join(refs, '..', `hashes-${backend.name}.csv`);
      writeFileSync(csv, `pdq_hex,source\n${'e'.repeat(64)},https://threatexchange.example/1\nnot-a-hash,x\n`);
      const fraud = await createBank(t.tollgate.db, tenantId, 'te', 'fraud');
      const summary = await importBank({ db: t.tollgate.db, limits: t.tollgate.config.limits, bank: fraud, source: await openBankSource(csv) });
      expect(summary).toMatchObject({ status: 'done', added: 1 });
      expect((await listBankEntries(t.tollgate.db, fraud, 10))[0]).toMatchObject({ pdq: 'e'.repeat(64), source_url: 'https://threatexchange.example/1' });
      rmSync(csv);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('serves /v1/banks, /v1/banks/:id/entries and /v1/match to the owning tenant only', async (context) => {
    if (!t) return context.skip();
    const app: FastifyInstance = await buildServer(t.tollgate, { logger: false });
    try {
      const tenant = await createTenant(t.tollgate.db, 'banks-http');
      const other = await createTenant(t.tollgate.db, 'banks-http-other');
      const auth = { authorization: `Bearer ${(await createApiKey(t.tollgate.db, tenant.id)).key}` };
      const otherAuth = { authorization: `Bearer ${(await createApiKey(t.tollgate.db, other.id)).key}` };
      const created = await app.inject({ method: 'POST', url: '/v1/banks', headers: auth, payload: { name: 'stock', kind: 'stock' } });
      expect(created.statusCode).toBe(201);
      const bankId = created.json<{ id: string }>().id;
      expect((await app.inject({ method: 'POST', url: '/v1/banks', headers: auth, payload: { name: 'stock', kind: 'stock' } })).statusCode).toBe(409);

      const form = new FormData();
      form.set('file', new Blob([photo('person.jpg')]), 'person.jpg');
      form.set('source_url', 'https://stock.example/person-123');
      const body = new Response(form);
      const added = await app.inject({
        method: 'POST',
        url: `/v1/banks/${bankId}/entries`,
        headers: { ...auth, 'content-type': body.headers.get('content-type')! },
        payload: Buffer.from(await body.arrayBuffer()),
      });
      expect(added.json()).toEqual({ added: 1, already_present: 0 });
      const pdq = 'f'.repeat(32) + '0'.repeat(32);
      expect((await app.inject({ method: 'POST', url: `/v1/banks/stock/entries`, headers: auth, payload: { entries: [{ pdq, source: 'hma export' }] } })).json()).toEqual({ added: 1, already_present: 0 });
      const entries = (await app.inject({ method: 'GET', url: `/v1/banks/${bankId}/entries?limit=1`, headers: auth })).json<{ items: Array<{ key: string }>; next_cursor: string | null }>();
      expect(entries.items).toHaveLength(1);
      expect(entries.next_cursor).not.toBeNull();
      expect((await app.inject({ method: 'GET', url: '/v1/banks', headers: auth })).json()).toMatchObject({ items: [{ name: 'stock', kind: 'stock', entries: 2 }] });

      const copy = await sharp(photo('person.jpg')).resize(500).jpeg({ quality: 70 }).toBuffer();
      const mform = new FormData();
      mform.set('file', new Blob([copy]), 'copy.jpg');
      const mbody = new Response(mform);
      const matched = await app.inject({ method: 'POST', url: '/v1/match', headers: { ...auth, 'content-type': mbody.headers.get('content-type')! }, payload: Buffer.from(await mbody.arrayBuffer()) });
      expect(matched.statusCode).toBe(200);
      expect(matched.json()).toMatchObject({ banks: [{ bank: 'stock', kind: 'stock', matches: [{ source_url: 'https://stock.example/person-123', distance: expect.any(Number) }] }], uploads: [] });
      const byHash = await app.inject({ method: 'POST', url: '/v1/match', headers: auth, payload: { pdq } });
      expect(byHash.json()).toMatchObject({ banks: [{ bank: 'stock', matches: [{ source: 'hma export', distance: 0 }] }] });
      // A heavy crop PDQ cannot place, of the bank image and of an earlier upload: found by local features, with their evidence.
      const earlier = await t.upload(tenant.id, photo('giraffe.jpg'), { contributor_id: 'erin' });
      for (const [name, expected] of [
        ['person.jpg', { banks: [{ bank: 'stock', matches: [{ source_url: 'https://stock.example/person-123', matcher: 'local', inliers: expect.any(Number), coverage: expect.any(Number) }] }], uploads: [] }],
        ['giraffe.jpg', { banks: [], uploads: [{ upload_id: earlier.id, matcher: 'local', inliers: expect.any(Number), matches: expect.any(Number) }] }],
      ] as const) {
        const cform = new FormData();
        cform.set('file', new Blob([await cropped(photo(name), 0.5)]), 'crop.jpg');
        const cbody = new Response(cform);
        const crop = await app.inject({ method: 'POST', url: '/v1/match', headers: { ...auth, 'content-type': cbody.headers.get('content-type')! }, payload: Buffer.from(await cbody.arrayBuffer()) });
        expect(crop.json(), name).toMatchObject(expected);
        const found = crop.json<{ banks: Array<{ matches: Array<{ inliers?: number }> }>; uploads: Array<{ inliers?: number }> }>();
        expect([...found.banks.flatMap((b) => b.matches), ...found.uploads][0]?.inliers, name).toBeGreaterThanOrEqual(12);
      }

      // A disabled bank keeps its entries but no longer matches.
      expect((await app.inject({ method: 'PATCH', url: `/v1/banks/${bankId}`, headers: auth, payload: { enabled: false } })).json()).toMatchObject({ enabled: false, entries: 2 });
      expect((await app.inject({ method: 'POST', url: '/v1/match', headers: auth, payload: { pdq } })).json()).toMatchObject({ banks: [] });
      await app.inject({ method: 'PATCH', url: `/v1/banks/${bankId}`, headers: auth, payload: { enabled: true } });

      // Another tenant sees neither the bank nor its entries, by id or by name.
      expect((await app.inject({ method: 'GET', url: `/v1/banks/${bankId}/entries`, headers: otherAuth })).statusCode).toBe(404);
      expect((await app.inject({ method: 'GET', url: '/v1/banks/stock', headers: otherAuth })).statusCode).toBe(404);
      expect((await app.inject({ method: 'PATCH', url: `/v1/banks/${bankId}`, headers: otherAuth, payload: { enabled: false } })).statusCode).toBe(404);
      expect((await app.inject({ method: 'POST', url: '/v1/match', headers: otherAuth, payload: { pdq } })).json()).toMatchObject({ banks: [], uploads: [] });
    } finally {
      await app.close();
    }
  });
});
