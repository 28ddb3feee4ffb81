import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = join(process.cwd(), 'bin/tollgate.js');
const DOG = join(process.cwd(), '../shared/data/object-photos/dog.jpg');
const work = mkdtempSync(join(tmpdir(), 'tollgate-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function tollgate(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      cwd: work,
      env: { ...process.env, TOLLGATE_DATA_DIR: join(work, '.tollgate'), ...env },
      maxBuffer: 64 * 1024 * 1024,
      // A command that hangs is killed (code null) rather than holding the suite.
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('tollgate inspect', () => {
  it('prints the DESIGN.md contract for a real photo and exits 0', async () => {
    const { code, stdout } = await tollgate(['inspect', DOG, '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(Object.keys(report)).toEqual(['file', 'sha256', 'media', 'fingerprints', 'signals', 'scores', 'verdict']);
    expect(report.media).toMatchObject({ type: 'image', mime: 'image/jpeg', width: 768, height: 576 });
    expect(report.fingerprints.pdq.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(report.fingerprints.phash).toMatch(/^[0-9a-f]{16}$/);
    expect(report.verdict.decision).toMatch(/^(accept|review|reject)$/);
    for (const s of report.signals) expect(s).toMatchObject({ code: expect.any(String), score: expect.any(Number), severity: expect.any(String), message: expect.any(String) });
  });

  it('exits 3 with an error object when the file cannot be read', async () => {
    const html = join(work, 'page.png');
    writeFileSync(html, '<html><script>alert(1)</script></html>');
    const unreadable = await tollgate(['inspect', html, '--json']);
    expect(unreadable.code).toBe(3);
    expect(JSON.parse(unreadable.stdout)).toMatchObject({ file: html, error: { code: 'media.active_content' } });
    const missing = await tollgate(['inspect', join(work, 'nope.jpg'), '--json']);
    expect(missing.code).toBe(3);
    expect(JSON.parse(missing.stdout)).toMatchObject({ error: { code: 'input.not_found' } });
  });

  it('exits 2 with help on a usage error', async () => {
    const { code, stderr } = await tollgate(['inspect']);
    expect(code).toBe(2);
    expect(stderr).toContain('exactly one FILE');
  });
});

describe('tollgate serve', () => {
  it('exits 1 with a db.error naming the server (not its password) when PostgreSQL does not answer, its analysis threads ended', async () => {
    const { code, stderr } = await tollgate(['serve'], { DATABASE_URL: 'postgres://tollgate:s3cret@127.0.0.1:1/nowhere', PORT: '39999', TOLLGATE_ANALYSIS_THREADS: '2' });
    expect(code).toBe(1);
    expect(stderr).toContain('db.error: cannot connect to PostgreSQL at 127.0.0.1:1/nowhere (DATABASE_URL)');
    expect(stderr).not.toContain('s3cret');
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});

describe('tollgate scan', () => {
  it('matches files against each other and against earlier scans, one JSON line per file', async () => {
    const folder = join(work, 'photos');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(folder);
    copyFileSync(DOG, join(folder, 'a.jpg'));
    copyFileSync(DOG, join(folder, 'b.jpg'));
    copyFileSync(join(process.cwd(), '../shared/data/object-photos/eagle.jpg'), join(folder, 'c.jpg'));
    const first = await tollgate(['scan', folder, '--json', '--report', join(work, 'report.html')]);
    expect(first.code).toBe(0);
    const lines = first.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.file.split('/').pop())).toEqual(['a.jpg', 'b.jpg', 'c.jpg']);
    expect(lines[0].verdict.decision).not.toBe('reject');
    expect(lines[1].verdict.reasons).toContain('dup.exact');
    expect(lines[1].signals.find((s: { code: string }) => s.code === 'dup.exact').evidence.matched_upload).toBe(lines[0].id);
    const html = readFileSync(join(work, 'report.html'), 'utf8');
    expect(html).toContain('data:image/jpeg;base64,');
    expect(html).toContain('dup.exact');

    const again = await tollgate(['scan', join(folder, 'c.jpg'), '--json']);
    expect(JSON.parse(again.stdout).verdict.reasons).toContain('dup.exact');
    expect(existsSync(join(work, '.tollgate'))).toBe(true);
  }, 120_000);

  it('prints a summary table without --json', async () => {
    const { code, stdout } = await tollgate(['scan', DOG]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/decision\s+files/);
    expect(stdout).toMatch(/1 files in [\d.]+ s/);
  }, 60_000);
});

describe('tollgate tenants', () => {
  it('prints a key once and stores only its hash', async () => {
    const { code, stdout } = await tollgate(['tenants', 'create', 'acme', '--json']);
    expect(code).toBe(0);
    const { api_key: key } = JSON.parse(stdout);
    expect(key).toMatch(/^tg_/);
    const { openPglite } = await import('../../src/db/pglite.ts');
    const db = await openPglite(join(work, '.tollgate/pglite'));
    const rows = await db.query<{ key_hash: string }>('SELECT key_hash FROM api_keys');
    await db.close();
    expect(rows.some((r) => r.key_hash.includes(key))).toBe(false);
    expect(rows).toHaveLength(1);
  }, 60_000);
});
