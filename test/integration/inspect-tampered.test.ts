/**
 * `tollgate inspect` on tampered variants of real camera originals names what was tampered with: one variant
 * per kind the metadata evaluation builds (eval/metadata.ts), except cloned EXIF, which needs a store.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = join(process.cwd(), 'bin/tollgate.js');
const DATA = join(process.cwd(), '../shared/data/exif-camera-samples/images/jpg');
const KODAK = join(DATA, 'exif-org/kodak-dc240.jpg');
const NIKON = join(DATA, 'gps/DSCN0010.jpg');
const IXUS = join(DATA, 'exif-org/canon-ixus.jpg');
const EXIFTOOL = join(process.cwd(), 'node_modules/exiftool-vendored.pl/bin/exiftool');
const work = mkdtempSync(join(tmpdir(), 'tollgate-inspect-tampered-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Report { signals: Array<{ code: string; severity: string; message: string }> }

async function inspect(file: string, ...args: string[]): Promise<string[]> {
  const { stdout } = await run(process.execPath, [BIN, 'inspect', file, '--json', ...args], {
    cwd: work, env: { ...process.env, TOLLGATE_DATA_DIR: join(work, '.tollgate') }, maxBuffer: 64 << 20,
  });
  const report = JSON.parse(stdout) as Report;
  return report.signals.filter((s) => s.severity === 'medium' || s.severity === 'high' || s.severity === 'critical').map((s) => s.code);
}

function variant(name: string, source: string, ...exiftoolArgs: string[]): string {
  const path = join(work, name);
  writeFileSync(path, readFileSync(source));
  if (exiftoolArgs.length) execFileSync(EXIFTOOL, ['-q', '-q', '-m', '-overwrite_original', ...exiftoolArgs, path]);
  return path;
}

function task(name: string, givenAt: string): string {
  const path = join(work, name);
  writeFileSync(path, JSON.stringify({ given_at: givenAt }));
  return path;
}

describe.skipIf(!existsSync(DATA))('tollgate inspect names the tampering', () => {
  const ninetyNine = task('task-1999.json', '1999-05-20T00:00:00Z');
  const twentyTwentyFour = task('task-2024.json', '2024-01-01T00:00:00Z');

  it('all dates shifted (maker-note clock disagrees, read by the deep phase)', async () => {
    expect(await inspect(variant('allDates.jpg', KODAK, '-AllDates=2024:01:05 10:00:00'), '--task', twentyTwentyFour)).toContain('meta.date_inconsistent');
  });
  it('DateTimeOriginal shifted', async () => {
    expect(await inspect(variant('dto.jpg', NIKON, '-DateTimeOriginal=2008:11:30 12:00:00'))).toContain('meta.date_inconsistent');
  });
  it('an old photo for a new task', async () => {
    expect(await inspect(NIKON, '--task', twentyTwentyFour)).toContain('meta.capture_before_task');
  });
  it('make and model swapped', async () => {
    expect(await inspect(variant('swap.jpg', IXUS, '-Make=Apple', '-Model=iPhone 14 Pro'))).toContain('meta.quantization_mismatch');
  });
  it('re-saved by a library', async () => {
    const path = join(work, 'resaved.jpg');
    writeFileSync(path, await sharp(readFileSync(IXUS)).withMetadata().jpeg({ quality: 90 }).toBuffer());
    expect(await inspect(path)).toContain('meta.quantization_mismatch');
  });
  it('pixels edited with the old thumbnail kept', async () => {
    const bytes = readFileSync(IXUS);
    const patch = await sharp(bytes).extract({ left: 0, top: 0, width: 256, height: 192 }).flop().negate({ alpha: false }).toBuffer();
    const path = join(work, 'edited.jpg');
    writeFileSync(path, await sharp(bytes).composite([{ input: patch, left: 192, top: 144 }]).withMetadata().jpeg({ quality: 92 }).toBuffer());
    expect(await inspect(path)).toContain('meta.thumbnail_mismatch');
  });
  it('EXIF and thumbnail transplanted from another camera', async () => {
    const path = variant('transplant.jpg', NIKON, '-all=');
    execFileSync(EXIFTOOL, ['-q', '-q', '-m', '-overwrite_original', '-TagsFromFile', IXUS, '-all:all', '-ThumbnailImage', path]);
    expect(await inspect(path)).toEqual(expect.arrayContaining(['meta.thumbnail_mismatch']));
  });
  it('metadata stripped for a fresh-capture task', async () => {
    expect(await inspect(variant('stripped.jpg', NIKON, '-all='), '--task', ninetyNine)).toContain('meta.stripped');
  });
  it('the app says another phone', async () => {
    expect(await inspect(IXUS, '--device-model', 'Pixel 8')).toContain('meta.device_mismatch');
  });
  it('writes the error-level image on request', async () => {
    const out = join(work, 'ela.png');
    await inspect(IXUS, '--ela', out);
    expect(readFileSync(out).subarray(1, 4).toString('latin1')).toBe('PNG');
  });
}, 300_000);
