import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { logoByName, pasteLogo, renderLogoPng } from '../support/logos.ts';

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
