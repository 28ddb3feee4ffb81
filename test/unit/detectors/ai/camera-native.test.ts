import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { cameraNativeEvidence, heifItems } from '../../../../src/detectors/ai/camera-native.ts';
import { loadDefaultAiModel, logregScorer } from '../../../../src/detectors/ai/classifier.ts';
import { createPixelClassifierDetector, type PixelScorer } from '../../../../src/detectors/ai/pixel-scorer.ts';
import { openMedia } from '../../../../src/media/open.ts';
import { evaluate } from '../../../../src/policy/evaluate.ts';
import { DEFAULT_POLICY } from '../../../../src/policy/spec.ts';
import { exifSegment, withCameraExif } from '../../../support/exif-transplant.ts';
import { context, HAS_DATA, read } from './helpers.ts';

const NOKIA_JPEG = 'exif-camera-samples/images/jpg/mobile/HMD_Nokia_8.3_5G.jpg';
const NOKIA_HEIF = 'exif-camera-samples/images/heic/mobile/HMD_Nokia_8.3_5G_hdr.heif';
const COMFY_PNG = 'ai-generator-metadata/comfyui-examples/flux/flux_dev_example.png';

/** A scorer that answers a fixed probability, to place a real file anywhere in the classifier's range. */
function fixedScorer(probability: number, maxScore = 0.5): PixelScorer {
  return { label: 'fixed', threshold: 0.8, maxScore, score: async () => ({ probability, evidence: {} }) };
}

describe.skipIf(!HAS_DATA)('camera-native evidence on real files', () => {
  it('recognises a phone JPEG by its EXIF-first layout and its model quantization signature', async () => {
    const evidence = await cameraNativeEvidence(await openMedia(read(NOKIA_JPEG)));
    expect(evidence.missing).toEqual([]);
    expect(evidence.native).toBe(true);
    expect(evidence.found.join('; ')).toMatch(/EXIF APP1 right after SOI.*quantization tables \w+ and layout of a HMD Global Nokia 8.3 5G/);
  });

  it('recognises phone HEIFs by their HEVC tile grid, and not a single-image sample HEIF', async () => {
    expect(heifItems(read(NOKIA_HEIF))).toMatchObject({ primary: 'grid' });
    expect((await cameraNativeEvidence(await openMedia(read(NOKIA_HEIF)))).native).toBe(true);
    const sample = await cameraNativeEvidence(await openMedia(read('exif-camera-samples/images/heic/samplefilehub.heif')));
    expect(sample.native).toBe(false);
    expect(sample.missing.join('; ')).toMatch(/primary item hvc1, not a tile grid/);
  });

  it('refuses a camera file an editor re-saved, and a generated image given a camera EXIF the usual way', async () => {
    const edited = await cameraNativeEvidence(await openMedia(read('exif-camera-samples/images/jpg/tests/28-hex_value.jpg')));
    expect(edited.native).toBe(false);
    expect(edited.missing.join('; ')).toMatch(/Windows Photo Gallery/);
    // The libjpeg q95 tables are this phone's own, so only the layout gives the converter away.
    const converted = await sharp(read(COMFY_PNG)).jpeg({ quality: 95 }).toBuffer();
    const forged = await cameraNativeEvidence(await openMedia(withCameraExif(converted, exifSegment(read(NOKIA_JPEG)), 'jfif-first')));
    expect(forged.native).toBe(false);
    expect(forged.missing).toEqual(['EXIF is not the first segment (a JFIF or other segment precedes it, as converters write)']);
    // The rule's known limit: the same bytes spliced in the phone's own order pass.
    expect((await cameraNativeEvidence(await openMedia(withCameraExif(converted, exifSegment(read(NOKIA_JPEG)), 'exif-first')))).native).toBe(true);
    // sharp keeps the EXIF first but writes no JFIF, which this phone always does.
    const resaved = await cameraNativeEvidence(await openMedia(await sharp(read(COMFY_PNG)).withExif({ IFD0: { Make: 'HMD Global', Model: 'Nokia 8.3 5G' } }).jpeg({ quality: 95 }).toBuffer()));
    expect(resaved.native).toBe(false);
    expect(resaved.missing.join('; ')).toMatch(/APPn segments \(e1\) differ from those a HMD Global Nokia 8.3 5G writes/);
  });
});

describe.skipIf(!HAS_DATA)('ai.classifier discounted by camera-native evidence', () => {
  it('clears the phone originals the shipped model fires on, keeping the signal at info with the reason', async () => {
    const model = loadDefaultAiModel();
    if (!model) throw new Error('the shipped model does not load');
    const detector = createPixelClassifierDetector(logregScorer(model));
    for (const file of [NOKIA_JPEG, NOKIA_HEIF]) {
      const signals = await detector.detect(await openMedia(read(file)), context());
      expect(signals.map((s) => [s.code, s.severity, s.evidence?.['discounted']]), file).toEqual([['ai.classifier', 'info', true]]);
      expect(signals[0]?.message, file).toMatch(/discounted: the file is structured the way a camera writes it/);
      const { verdict, scores } = evaluate(DEFAULT_POLICY, signals);
      expect([verdict.decision, scores.ai_generated], file).toEqual(['accept', 0]);
    }
  });

  it('still sends to review a file without that structure, a near-certain score, and a model trusted to reject', async () => {
    const decision = async (file: string, scorer: PixelScorer): Promise<string> =>
      evaluate(DEFAULT_POLICY, await createPixelClassifierDetector(scorer).detect(await openMedia(read(file)), context())).verdict.decision;
    expect(await decision('exif-camera-samples/images/jpg/tests/28-hex_value.jpg', fixedScorer(0.88))).toBe('review');
    expect(await decision(NOKIA_JPEG, fixedScorer(0.88))).toBe('accept');
    expect(await decision(NOKIA_JPEG, fixedScorer(0.995))).toBe('review');
    const trusted = await createPixelClassifierDetector(fixedScorer(0.97, 1)).detect(await openMedia(read(NOKIA_JPEG)), context());
    expect(trusted[0]).toMatchObject({ severity: 'high', evidence: { discounted: false } });
    expect(evaluate(DEFAULT_POLICY, trusted).verdict.decision).toBe('reject');
  });
});
