import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = join(process.cwd(), 'bin/tollgate.js');
const PHOTOS = join(process.cwd(), '../shared/data/object-photos');
const work = mkdtempSync(join(tmpdir(), 'tollgate-bank-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function tollgate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd: work, env: { ...process.env, TOLLGATE_DATA_DIR: join(work, '.tollgate') } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('tollgate bank and match', () => {
  it('creates a bank, imports a folder once, lists it, and matches a copy against it', async () => {
    const refs = join(work, 'refs');
    mkdirSync(refs);
    for (const name of ['eagle.jpg', 'horses.jpg']) copyFileSync(join(PHOTOS, name), join(refs, name));

    expect((await tollgate(['bank', 'create', 'web', '--kind', 'internet'])).code).toBe(0);
    expect((await tollgate(['bank', 'create', 'web', '--kind', 'internet'])).code).not.toBe(0);
    expect((await tollgate(['bank', 'create', 'x', '--kind', 'nope'])).code).toBe(2);

    const first = await tollgate(['bank', 'import', 'web', refs, '--json']);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ bank: 'web', status: 'done', added: 2, keysBefore: 0 });
    const again = await tollgate(['bank', 'import', 'web', refs]);
    expect(again.stdout).toMatch(/added\s+0/);
    expect(again.stdout).toContain('bank held 2 keys before this run');

    expect(JSON.parse((await tollgate(['bank', 'list', '--json'])).stdout)).toMatchObject({ name: 'web', kind: 'internet', enabled: true, entries: 2 });

    const copy = join(work, 'eagle-copy.jpg');
    await sharp(join(PHOTOS, 'eagle.jpg')).resize(500).jpeg({ quality: 60 }).toFile(copy);
    const matched = await tollgate(['match', copy, '--json']);
    expect(matched.code).toBe(0);
    expect(JSON.parse(matched.stdout)).toMatchObject({ file: copy, banks: [{ bank: 'web', kind: 'internet', matches: [{ key: 'eagle.jpg', distance: expect.any(Number) }] }], uploads: [] });
    // With the default configuration a heavy crop, which PDQ misses, is matched by local features.
    const crop = join(work, 'horses-crop.jpg');
    const { width = 0, height = 0 } = await sharp(join(PHOTOS, 'horses.jpg')).metadata();
    await sharp(join(PHOTOS, 'horses.jpg')).extract({ left: Math.round(width / 4), top: Math.round(height / 4), width: Math.round(width / 2), height: Math.round(height / 2) }).toFile(crop);
    const local = JSON.parse((await tollgate(['match', crop, '--json'])).stdout);
    expect(local).toMatchObject({ banks: [{ bank: 'web', matches: [{ key: 'horses.jpg', matcher: 'local', inliers: expect.any(Number) }] }], uploads: [] });
    expect(local.banks[0].matches[0].inliers).toBeGreaterThanOrEqual(12);
    expect((await tollgate(['match', crop])).stdout).toMatch(/^bank web \(internet\) {2}\d+ inliers {2}horses\.jpg$/m);
    expect((await tollgate(['match', join(PHOTOS, 'kite.jpg')])).stdout).toContain('no matches');
    expect((await tollgate(['match', join(work, 'missing.jpg'), '--json'])).code).toBe(3);
  }, 240_000);
});
