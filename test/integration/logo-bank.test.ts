import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, createTenant } from '../../src/db/tenants.ts';
import { buildServer } from '../../src/server/app.ts';
import { BACKENDS, postgresAvailable } from '../support/databases.ts';
import { logoByName, pasteLogo, renderLogoPng } from '../support/logos.ts';
import { multipart } from '../support/multipart.ts';
import { startTestTollgate, type TestTollgate } from '../support/tollgate.ts';

const run = promisify(execFile);
const BIN = join(process.cwd(), 'bin/tollgate.js');
const KITE = join(process.cwd(), '../shared/data/object-photos/kite.jpg');
const work = mkdtempSync(join(tmpdir(), 'tollgate-logo-bank-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function tollgate(args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(process.execPath, [BIN, ...args], { cwd: work, env: { ...process.env, TOLLGATE_DATA_DIR: join(work, '.tollgate') } });
    return { code: 0, stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string };
    return { code: e.code, stdout: e.stdout };
  }
}

interface ScannedSignal {
  code: string;
  severity: string;
  evidence?: Record<string, unknown>;
}

async function scan(file: string): Promise<{ signals: ScannedSignal[]; verdict: { decision: string; reasons: string[] }; scores: Record<string, number> }> {
  const out = await tollgate(['scan', file, '--json']);
  expect(out.code).toBe(0);
  return JSON.parse(out.stdout.split('\n').find((l) => l.startsWith('{'))!);
}

describe('logo banks through the CLI: bank create --kind logo, import, scan', () => {
  it('finds a small, turned, semi-transparent logo in a real photo, and nothing in the photo without it', async () => {
    const logos = join(work, 'logos');
    mkdirSync(logos);
    for (const name of ['norvale', 'korrin']) writeFileSync(join(logos, `${name}.png`), await renderLogoPng(logoByName(name), 200));

    expect((await tollgate(['bank', 'create', 'brands', '--kind', 'logo'])).code).toBe(0);
    const imported = await tollgate(['bank', 'import', 'brands', logos, '--json']);
    expect(JSON.parse(imported.stdout)).toMatchObject({ bank: 'brands', status: 'done', added: 2, failed: 0 });

    const clean = await scan(KITE);
    expect(clean.signals.filter((s) => s.code === 'copyright.logo' || s.code === 'ref.match')).toEqual([]);

    // 12 % of the width, turned 10°, 60 % opaque.
    const placed = await pasteLogo(KITE, logoByName('norvale'), { widthShare: 0.12, rotation: 10, opacity: 0.6, centre: { x: 0.7, y: 0.3 } });
    const marked = join(work, 'kite-with-logo.jpg');
    writeFileSync(marked, placed.bytes);
    const result = await scan(marked);
    const logo = result.signals.filter((s) => s.code === 'copyright.logo');
    expect(logo).toHaveLength(1);
    expect(logo[0]).toMatchObject({ severity: 'medium', evidence: { bank: 'brands', key: 'norvale.png', matcher: 'local' } });
    expect(logo[0]!.evidence!['inliers']).toBeGreaterThanOrEqual(12);
    const box = logo[0]!.evidence!['box'] as { x: number; y: number; width: number; height: number };
    // Where the logo was drawn, within a few pixels of its 160-px box.
    for (const k of ['x', 'y', 'width', 'height'] as const) expect(Math.abs(box[k] - placed.box[k])).toBeLessThan(12);
    // A logo in a photo is not a copy of the logo: ref.match stays out of it, and a person decides.
    expect(result.signals.some((s) => s.code === 'ref.match')).toBe(false);
    expect(result.verdict.reasons).toContain('copyright.logo');
    expect(result.verdict.decision).toBe('review');
    expect(result.scores['copyright_risk']).toBeGreaterThan(0.5);
  }, 240_000);
});

describe.each(BACKENDS)('logo banks through the HTTP API on $name', (backend) => {
  let t: TestTollgate | undefined;
  let app: FastifyInstance | undefined;
  let auth: Record<string, string> = {};

  beforeAll(async () => {
    if (backend.name === 'postgres' && !(await postgresAvailable())) return;
    t = await startTestTollgate(await backend.open());
    await t.tollgate.startWorkers();
    app = await buildServer(t.tollgate, { logger: false, verdictPollMs: 200 });
    const tenant = await createTenant(t.tollgate.db, 'logo-http');
    auth = { authorization: `Bearer ${(await createApiKey(t.tollgate.db, tenant.id)).key}` };
  });
  afterAll(async () => {
    await app?.close();
    await t?.close();
  });

  it('POST /v1/banks kind logo, a logo PNG as an entry, then an upload showing it goes to review with copyright.logo', async (context) => {
    if (!app) return context.skip();
    const created = await app.inject({ method: 'POST', url: '/v1/banks', headers: auth, payload: { name: 'brands', kind: 'logo' } });
    expect(created.statusCode).toBe(201);
    const entry = await multipart(await renderLogoPng(logoByName('korrin'), 200), { source: 'Korrin mark' }, 'korrin.png');
    const added = await app.inject({ method: 'POST', url: `/v1/banks/brands/entries`, headers: { ...auth, 'content-type': entry.contentType }, payload: entry.payload });
    expect(added.json()).toEqual({ added: 1, already_present: 0 });

    const placed = await pasteLogo(KITE, logoByName('korrin'), { widthShare: 0.12, rotation: 10, opacity: 0.6 });
    const body = await multipart(placed.bytes, { fields: JSON.stringify({ contributor_id: 'ann' }) }, 'kite.jpg');
    const res = await app.inject({ method: 'POST', url: '/v1/uploads?wait=30000', headers: { ...auth, 'content-type': body.contentType }, payload: body.payload });
    expect(res.statusCode).toBe(200);
    const upload = res.json<{ verdict: { decision: string; reasons: string[] }; signals: ScannedSignal[] }>();
    expect(upload.verdict).toMatchObject({ decision: 'review', reasons: ['copyright.logo'] });
    expect(upload.signals.find((s) => s.code === 'copyright.logo')).toMatchObject({ evidence: { bank: 'brands', source: 'Korrin mark', matcher: 'local' } });
    expect(upload.signals.some((s) => s.code === 'ref.match')).toBe(false);
  }, 120_000);
});
