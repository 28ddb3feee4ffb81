import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { ActionType, type DigitalSourceType } from '@trustnxt/c2pa-ts/manifest';
import { c2paDetector, c2paSignals, readC2pa, type C2paReport } from '../../../../src/detectors/ai/c2pa.ts';
import { openMedia } from '../../../../src/media/open.ts';
import { context, DATA, HAS_DATA } from './helpers.ts';
import { signWithManifest } from './c2pa-sign.ts';

const DIR = join(DATA, 'c2pa-public-testfiles/image/jpeg');

/** c2patool's verdict as shipped with the test files: no report = absent, validation_status entries = invalid. */
function expected(file: string): 'absent' | 'valid' | 'invalid' {
  const report = join(DIR, 'manifests', file.replace(/\.jpe?g$/, ''), 'manifest_store.json');
  if (!existsSync(report)) return 'absent';
  const json = JSON.parse(readFileSync(report, 'utf8')) as { validation_status?: unknown[] };
  return json.validation_status && json.validation_status.length > 0 ? 'invalid' : 'valid';
}

describe.skipIf(!HAS_DATA)('C2PA against the c2patool reports of c2pa-public-testfiles', () => {
  const files = HAS_DATA ? readdirSync(DIR).filter((f) => /\.jpe?g$/i.test(f)) : [];

  it('covers the whole conformance set', () => {
    expect(files.length).toBe(26);
    expect(new Set(files.map(expected))).toEqual(new Set(['absent', 'valid', 'invalid']));
  });

  it.each(files.map((f) => [f, expected(f)] as const))('%s is %s', async (file, state) => {
    const report = await readC2pa(readFileSync(join(DIR, file)));
    expect(report.state).toBe(state);
    const signals = await c2paDetector.detect(await openMedia(readFileSync(join(DIR, file))), context());
    expect(signals.some((s) => s.code === 'meta.c2pa_invalid')).toBe(state === 'invalid');
    expect(signals.some((s) => s.code === 'ai.c2pa_generative')).toBe(false);
  });

  it('names the failure c2patool names', async () => {
    const cases: Array<[string, string]> = [
      ['adobe-20220124-E-dat-CA.jpg', 'assertion.dataHash.mismatch'],
      ['adobe-20220124-E-sig-CA.jpg', 'claimSignature.mismatch'],
      ['adobe-20220124-E-uri-CA.jpg', 'assertion.hashedURI.mismatch'],
      ['adobe-20220124-E-uri-CIE-sig-CA.jpg', 'assertion.hashedURI.mismatch'],
      ['adobe-20220124-XCI.jpg', 'assertion.dataHash.mismatch'],
    ];
    for (const [file, code] of cases) expect((await readC2pa(readFileSync(join(DIR, file)))).failures, file).toContain(code);
  });

  it('reports signed Truepic phone captures as provenance, with the camera from stds.exif', async () => {
    for (const file of files.filter((f) => f.startsWith('truepic'))) {
      const signals = c2paSignals(await readC2pa(readFileSync(join(DIR, file))));
      const capture = signals.find((s) => s.code === 'provenance.c2pa_capture');
      expect(capture?.severity, file).toBe('info');
      expect(capture?.evidence).toMatchObject({ make: 'Google', model: 'Pixel 5' });
    }
    // The Nikon capture's signature no longer verifies: never provenance, always invalid.
    const nikon = c2paSignals(await readC2pa(readFileSync(join(DIR, 'nikon-20221019-building.jpeg'))));
    expect(nikon.map((s) => s.code)).toEqual(['meta.c2pa_invalid']);
  });

  it('never throws on files without or with broken containers', async () => {
    expect((await readC2pa(Buffer.from('garbage'))).state).toBe('absent');
    const truncated = readFileSync(join(DIR, 'adobe-20220124-C.jpg')).subarray(0, 20_000);
    await expect(readC2pa(truncated)).resolves.toHaveProperty('state');
  });
});

describe('C2PA generative claims', () => {
  // No public file carries a generative manifest (see the data README), so the mapping is tested on reports.
  const base: C2paReport = { state: 'valid', failures: [], generative: [], claimGenerator: 'ChatGPT' };

  it('maps trainedAlgorithmicMedia to ai.c2pa_generative and composites to a lower score', () => {
    const generated = c2paSignals({ ...base, generative: [{ indicator: 'c2pa.created digitalSourceType trainedAlgorithmicMedia', where: 'active', kind: 'generated' }] });
    expect(generated).toHaveLength(1);
    expect(generated[0]).toMatchObject({ code: 'ai.c2pa_generative', severity: 'high', score: 0.97 });
    const composite = c2paSignals({ ...base, generative: [{ indicator: 'c2pa.placed digitalSourceType compositeWithTrainedAlgorithmicMedia', where: 'ingredient', kind: 'composite' }] });
    expect(composite[0]?.score).toBe(0.85);
  });

  it('keeps the generative claim when the manifest is also invalid', () => {
    const signals = c2paSignals({ ...base, state: 'invalid', failures: ['claimSignature.mismatch'], generative: [{ indicator: 'claim generator Adobe Firefly', where: 'active', kind: 'generated' }] });
    expect(signals.map((s) => s.code).sort()).toEqual(['ai.c2pa_generative', 'meta.c2pa_invalid']);
  });
});

describe.skipIf(!HAS_DATA)('C2PA manifests we sign onto real photos', () => {
  const photo = (): Buffer => readFileSync(join(DATA, 'object-photos/dog.jpg'));
  const dst = (code: string): DigitalSourceType => `http://cv.iptc.org/newscodes/digitalsourcetype/${code}` as DigitalSourceType;
  const codes = async (bytes: Buffer): Promise<string[]> => (await c2paDetector.detect(await openMedia(bytes), context())).map((s) => s.code).sort();

  it('flags a valid manifest declaring trainedAlgorithmicMedia', async () => {
    const signed = await signWithManifest(photo(), { actions: [{ action: ActionType.C2paCreated, digitalSourceType: dst('trainedAlgorithmicMedia') }] });
    const report = await readC2pa(signed);
    expect(report.state).toBe('valid');
    expect(await codes(signed)).toEqual(['ai.c2pa_generative']);
  });

  it('flags generative claim generators and software agents without a source type', async () => {
    const byGenerator = await signWithManifest(photo(), { claimGenerator: 'ChatGPT', actions: [{ action: ActionType.C2paCreated }] });
    expect(await codes(byGenerator)).toEqual(['ai.c2pa_generative']);
    const byAgent = await signWithManifest(photo(), { actions: [{ action: ActionType.C2paCreated, softwareAgent: { name: 'Adobe Firefly' } }] });
    expect(await codes(byAgent)).toEqual(['ai.c2pa_generative']);
  });

  it('scores composites lower than generations', async () => {
    const signed = await signWithManifest(photo(), { actions: [{ action: ActionType.C2paCreated, digitalSourceType: dst('compositeWithTrainedAlgorithmicMedia') }] });
    const signal = (await c2paDetector.detect(await openMedia(signed), context()))[0];
    expect(signal).toMatchObject({ code: 'ai.c2pa_generative', score: 0.85, evidence: { kind: 'composite' } });
  });

  it('reports a signed digital capture as provenance, and nothing for ordinary edits', async () => {
    const capture = await signWithManifest(photo(), { actions: [{ action: ActionType.C2paCreated, digitalSourceType: dst('digitalCapture') }] });
    expect(await codes(capture)).toEqual(['provenance.c2pa_capture']);
    const edit = await signWithManifest(photo(), { claimGenerator: 'Adobe Photoshop', actions: [{ action: ActionType.C2paCreated, digitalSourceType: dst('digitalArt') }] });
    expect(await codes(edit)).toEqual([]);
  });

  it('reports tampered pixels as invalid and keeps the generative claim', async () => {
    const signed = await signWithManifest(photo(), { actions: [{ action: ActionType.C2paCreated, digitalSourceType: dst('trainedAlgorithmicMedia') }] });
    const tampered = Buffer.from(signed);
    const at = tampered.length - 2000; // inside the entropy-coded scan, covered by the data hash
    tampered[at] = (tampered[at] ?? 0) ^ 0xff;
    const report = await readC2pa(tampered);
    expect(report.failures).toContain('assertion.dataHash.mismatch');
    expect(await codes(tampered)).toEqual(['ai.c2pa_generative', 'meta.c2pa_invalid']);
  });

  it('reads manifests embedded in PNG', async () => {
    const png = await sharp(photo()).png().toBuffer();
    const signed = await signWithManifest(png, { actions: [{ action: ActionType.C2paCreated, digitalSourceType: dst('trainedAlgorithmicMedia') }] });
    expect(await codes(signed)).toEqual(['ai.c2pa_generative']);
  });
});
