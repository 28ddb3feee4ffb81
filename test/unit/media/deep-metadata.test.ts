import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deepDates, deepRecord } from '../../../src/detectors/meta/deep.ts';
import { DATA_ROOT } from '../../../src/detectors/meta/tools/corpus.ts';
import { NO_LOOKUPS, type DetectorContext } from '../../../src/detectors/types.ts';
import { DeepMetadataReader, group } from '../../../src/media/deep-metadata.ts';
import { openMedia } from '../../../src/media/open.ts';
import { DEFAULT_POLICY } from '../../../src/policy/spec.ts';
import { analyse } from '../../../src/pipeline/analyse.ts';
import { wantsDeep } from '../../../src/pipeline/deep.ts';
import { metaDeepDetectors, metaDetectors } from '../../../src/detectors/meta/index.ts';
import { DEFAULT_MEDIA_LIMITS } from '../../../src/media/limits.ts';

const hasData = existsSync(DATA_ROOT);
const KODAK = `${DATA_ROOT}exif-camera-samples/images/jpg/exif-org/kodak-dc240.jpg`;
const EXIFTOOL = new URL('../../../node_modules/exiftool-vendored.pl/bin/exiftool', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'tollgate-deep-test-'));
const reader = new DeepMetadataReader({ timeoutMs: 20_000 });
afterAll(async () => {
  await reader.close();
  rmSync(work, { recursive: true, force: true });
});

const ctx = (deep?: DetectorContext['deep']): DetectorContext => ({
  upload: { receivedAt: new Date() }, lookups: NO_LOOKUPS, abort: new AbortController().signal, ...(deep ? { deep } : {}),
});

describe('grouping ExifTool output', () => {
  it('splits Group:Tag keys, keeps warnings, digest and embedded image sizes, drops the copy-on-disk groups', () => {
    const g = group({
      'SourceFile': '/tmp/x.jpg', 'System:FileName': 'x.jpg', 'ExifTool:Warning': 'Bad IFD1 directory', 'ExifTool:Copy1:Warning': 'second',
      'IFD0:Make': 'Canon', 'File:JPEGDigest': 'Canon PowerShot, Fine', 'File:JPEGQualityEstimate': 90,
      'IFD1:ThumbnailImage': '(Binary data 5024 bytes, use -b option to extract)', warnings: ['odd'],
    });
    expect(g.groups).toEqual({ IFD0: { Make: 'Canon' }, File: { JPEGDigest: 'Canon PowerShot, Fine', JPEGQualityEstimate: 90 }, IFD1: { ThumbnailImage: '(Binary data 5024 bytes, use -b option to extract)' } });
    expect(g.warnings).toEqual(['Bad IFD1 directory', 'second', 'odd']);
    expect(g.quantization).toEqual({ digest: 'Canon PowerShot, Fine', quality: 90 });
    expect(g.embedded).toEqual({ 'IFD1:ThumbnailImage': 5024 });
  });
});

describe('deep-phase codes', () => {
  it('are all in the README signal catalogue', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const codes = [...new Set(metaDeepDetectors.flatMap((d) => d.codes))];
    expect(codes.sort()).toEqual(['meta.date_inconsistent', 'meta.deep_read', 'meta.double_compression']);
    for (const code of codes) expect(readme, code).toContain(`\`${code}\``);
  });
});

describe('when the pipeline asks for the deep phase', () => {
  const medium = { code: 'meta.thumbnail_mismatch', severity: 'medium' as const, score: 0.6, message: '' };
  it('off never, always always, auto on a medium meta signal or a task', () => {
    const facts = { receivedAt: new Date() };
    expect(wantsDeep('off', [medium], { ...facts, task: { spec: {} } })).toBe(false);
    expect(wantsDeep('always', [], facts)).toBe(true);
    expect(wantsDeep('auto', [], facts)).toBe(false);
    expect(wantsDeep('auto', [{ ...medium, severity: 'low' }], facts)).toBe(false);
    expect(wantsDeep('auto', [medium], facts)).toBe(true);
    expect(wantsDeep('auto', [], { ...facts, task: { spec: { capture: 'fresh' } } })).toBe(true);
  });
});

describe.skipIf(!hasData)('ExifTool deep read (one pooled process)', () => {
  it('reads maker notes, the quantization digest and the thumbnail of a real camera file', async () => {
    const d = await reader.read(readFileSync(KODAK));
    expect(d.error).toBeUndefined();
    expect(d.groups['Kodak']).toMatchObject({ YearCreated: 1999, MonthDayCreated: '05:25' });
    expect(d.quantization?.quality).toBe(90);
    expect(d.embedded['IFD1:ThumbnailImage']).toBeGreaterThan(1000);
  });

  it('finds -AllDates rewritten against the maker-note clock, and nothing on the original', async () => {
    const path = join(work, 'shifted.jpg');
    writeFileSync(path, readFileSync(KODAK));
    execFileSync(EXIFTOOL, ['-q', '-overwrite_original', '-AllDates=2024:01:05 10:00:00', path]);
    const bytes = readFileSync(path);
    const shifted = await deepDates.detect(await openMedia(bytes), ctx(await reader.read(bytes)));
    expect(shifted).toHaveLength(1);
    expect(shifted[0]).toMatchObject({ code: 'meta.date_inconsistent', severity: 'medium' });
    expect(shifted[0]!.message).toContain('Kodak:YearCreated');
    const original = readFileSync(KODAK);
    expect(await deepDates.detect(await openMedia(original), ctx(await reader.read(original)))).toEqual([]);
  });

  it('keeps the grouped read as info evidence, and deep checks are silent without a read', async () => {
    const bytes = readFileSync(KODAK);
    const view = await openMedia(bytes);
    const [record] = await deepRecord.detect(view, ctx(await reader.read(bytes)));
    expect(record).toMatchObject({ code: 'meta.deep_read', severity: 'info', score: 0 });
    expect(Object.keys(record!.evidence!['groups'] as object)).toEqual(expect.arrayContaining(['IFD0', 'ExifIFD', 'Kodak', 'IFD1']));
    expect(await deepDates.detect(view, ctx())).toEqual([]);
  });

  it('reports an ExifTool failure as data, and starts a new process after close()', async () => {
    await reader.close();
    await reader.close();
    const d = await reader.read(Buffer.from('definitely not an image'), 'jpg');
    expect(d.warnings.join(' ')).toMatch(/wrong extension|format error/i);
    const again = await reader.read(readFileSync(KODAK));
    expect(again.error).toBeUndefined();
    expect(again.groups['IFD0']).toBeDefined();
  });
});

/** The malformed corpora of ../shared/data: every file through the pipeline with the deep phase forced on. */
const MALFORMED = ['exif-camera-samples/images/jpg/tests', 'ai-generator-metadata/sd-parsers/bad_images', 'exiftool-metadata-stubs/images'];
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}

describe.skipIf(!hasData)('malformed files with the deep read on', () => {
  it('never throw: each is analysed or refused with a media.* code', async () => {
    const all = MALFORMED.flatMap((d) => files(join(DATA_ROOT, d)));
    expect(all.length).toBeGreaterThan(20);
    const deps = {
      detectors: metaDetectors, policy: DEFAULT_POLICY, limits: DEFAULT_MEDIA_LIMITS, detectorTimeoutMs: 30_000,
      fingerprint: async () => ({}), deep: { mode: 'always' as const, reader, detectors: metaDeepDetectors },
    };
    let deepRuns = 0;
    for (const f of all) {
      const r = await analyse(readFileSync(f), { receivedAt: new Date() }, NO_LOOKUPS, deps, { fileName: f });
      if (r.ok) {
        expect(r.signals.filter((s) => s.code === 'system.detector_error'), f).toEqual([]);
        if (r.signals.some((s) => s.code === 'meta.deep_read')) deepRuns++;
      } else expect(r.error.code, f).toMatch(/^media\./);
    }
    expect(deepRuns).toBeGreaterThan(10);
  }, 300_000);
});
