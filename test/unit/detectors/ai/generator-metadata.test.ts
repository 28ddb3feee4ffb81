import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { openMedia } from '../../../../src/media/open.ts';
import { isTollgateError } from '../../../../src/errors.ts';
import { generatorMetadataDetector } from '../../../../src/detectors/ai/generator-metadata.ts';
import type { Signal } from '../../../../src/detectors/types.ts';
import { aiManifest, context, DATA, HAS_DATA, isAiLabel, read, walk } from './helpers.ts';

async function detect(bytes: Buffer): Promise<Signal[]> {
  return generatorMetadataDetector.detect(await openMedia(bytes), context());
}

const byCode = (signals: Signal[], code: string): Signal | undefined => signals.find((s) => s.code === code);

describe.skipIf(!HAS_DATA)('ai.generator_metadata on ai-generator-metadata/', () => {
  const rows = HAS_DATA ? aiManifest() : [];

  it.each(rows.filter((r) => isAiLabel(r.label)).map((r) => [r.file, r.label] as const))('catches %s (%s)', async (file) => {
    const signal = byCode(await detect(read(`ai-generator-metadata/${file}`)), 'ai.generator_metadata');
    expect(signal, file).toBeDefined();
    expect(signal?.score).toBeGreaterThanOrEqual(0.9);
    expect(signal?.evidence?.['generator']).toBeTruthy();
  });

  it.each(rows.filter((r) => r.label.startsWith('real_photo')).map((r) => [r.file] as const))('does not flag the real photo %s', async (file) => {
    expect(byCode(await detect(read(`ai-generator-metadata/${file}`)), 'ai.generator_metadata')).toBeUndefined();
  });

  it('names generator, model, prompt and source chunk for each front end', async () => {
    const cases: Array<[string, string, RegExp | undefined, RegExp, RegExp]> = [
      ['sd-parsers/parsers/AUTOMATIC1111/automatic1111_cropped.png', 'AUTOMATIC1111', /realistic_realisticVisionV20_v20/, /photo of a duck/, /png:tEXt:parameters/],
      ['sd-parsers/parsers/AUTOMATIC1111/automatic1111_cropped.jpg', 'AUTOMATIC1111', /realisticVisionV20/, /duck/, /exif:[uU]serComment/],
      ['sd-parsers/parsers/AUTOMATIC1111/automatic1111_stealth.png', 'AUTOMATIC1111', /realisticVisionV51/, /a circle/, /png:stealth_alpha:gzip/],
      ['sd-parsers/parsers/ComfyUI/img2img_cropped.png', 'ComfyUI', /v1-5-pruned-emaonly/, /victorian woman/, /png:tEXt:prompt/],
      ['sd-parsers/parsers/Fooocus/fooocus1_cropped.png', 'Fooocus', /juggernautXL_v8Rundiffusion/, /goldfish/, /png:tEXt:parameters/],
      ['sd-parsers/parsers/InvokeAI/invokeai_imeta1.png', 'InvokeAI', /juggernautXL/, /oil painting/, /invokeai_metadata/],
      ['sd-parsers/parsers/InvokeAI/invokeai_sdmeta1.png', 'InvokeAI', /deliberateForInvoke_v08/, /full body photo/, /png:tEXt:/],
      ['sd-parsers/parsers/InvokeAI/invokeai_dream1.png', 'InvokeAI', undefined, /full body photo/, /png:tEXt:Dream/],
      ['sd-parsers/parsers/NovelAI/novelai1_cropped.png', 'NovelAI', /Stable Diffusion/, /cat, space/, /Software/],
      ['comfyui-examples/flux/flux_dev_example.png', 'ComfyUI', /^flux1-dev\.safetensors$/, /fennec/, /png:tEXt:prompt/],
      ['comfyui-examples/wan/text_to_video_wan.webp', 'ComfyUI', /^wan2\.1_t2v/, /^a fox moving quickly/, /webp:EXIF:Model\(prompt\)/],
    ];
    for (const [file, generator, model, prompt, source] of cases) {
      const ev = byCode(await detect(read(`ai-generator-metadata/${file}`)), 'ai.generator_metadata')?.evidence ?? {};
      expect(ev['generator'], file).toBe(generator);
      if (model) expect(String(ev['model']), file).toMatch(model);
      expect(String(ev['prompt']), file).toMatch(prompt);
      expect(String(ev['prompt']).length, file).toBeLessThanOrEqual(200);
      expect(String(ev['source']), file).toMatch(source);
    }
  });

  it('labels inpainting and edit graphs as composites', async () => {
    for (const file of ['comfyui-examples/inpaint/yosemite_outpaint_example.png', 'comfyui-examples/inpaint/inpain_model_cat.png', 'comfyui-examples/edit_models/sdxl_edit_model.png']) {
      const ev = byCode(await detect(read(`ai-generator-metadata/${file}`)), 'ai.generator_metadata')?.evidence;
      expect(ev?.['kind'], file).toBe('composite');
    }
  });

  it('reports malformed files with clear errors and never crashes', async () => {
    const empty = await openMedia(read('ai-generator-metadata/sd-parsers/bad_images/empty_file.png')).catch((e: unknown) => e);
    expect(isTollgateError(empty) && empty.code).toBe('media.empty');
    for (const file of ['empty_image.jpg', 'empty_image.png', 'text_after_idat.png']) {
      await expect(detect(read(`ai-generator-metadata/sd-parsers/bad_images/${file}`))).resolves.toBeInstanceOf(Array);
    }
    // Text after IDAT is legal PNG; the A1111 parameters there are still read.
    const late = await detect(read('ai-generator-metadata/sd-parsers/bad_images/text_after_idat.png'));
    expect(byCode(late, 'ai.generator_metadata')?.evidence?.['generator']).toBe('AUTOMATIC1111');
  });

  it('stays silent on every real camera file of exif-camera-samples', async () => {
    const files = walk(`${DATA}/exif-camera-samples/images`, /\.(jpe?g|png|tiff?|heic|heif|webp)$/i);
    expect(files.length).toBeGreaterThan(80);
    let opened = 0;
    for (const file of files) {
      const view = await openMedia(read(file.slice(DATA.length + 1))).catch(() => null);
      if (!view) continue; // broken samples are the media layer's business
      opened++;
      const signals = await generatorMetadataDetector.detect(view, context());
      expect(byCode(signals, 'ai.generator_metadata'), file).toBeUndefined();
    }
    expect(opened).toBeGreaterThan(80);
  });
});

describe.skipIf(!HAS_DATA)('EXIF and XMP generator signatures written into a real photo', () => {
  const photo = (): Buffer => read('object-photos/dog.jpg');

  it('flags EXIF Software naming a generator, not a camera or editor', async () => {
    const firefly = await sharp(photo()).withExif({ IFD0: { Software: 'Adobe Firefly 3.0' } }).jpeg().toBuffer();
    expect(byCode(await detect(firefly), 'ai.generator_metadata')?.evidence?.['generator']).toBe('Adobe Firefly');
    const mj = await sharp(photo()).withExif({ IFD0: { Artist: 'Midjourney', ImageDescription: 'a dog, --ar 4:3 --v 6' } }).jpeg().toBuffer();
    expect(byCode(await detect(mj), 'ai.generator_metadata')?.evidence?.['generator']).toBe('Midjourney');
    const editor = await sharp(photo()).withExif({ IFD0: { Software: 'Adobe Photoshop 25.0 (Windows)', Make: 'Canon', Model: 'Canon EOS 5D' } }).jpeg().toBuffer();
    expect(byCode(await detect(editor), 'ai.generator_metadata')).toBeUndefined();
  });

  it('flags IPTC DigitalSourceType in XMP and Google AI credit lines', async () => {
    const xmp = (inner: string): string =>
      `<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" ${inner}/></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`;
    const generated = await sharp(photo()).withXmp(xmp('Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"')).jpeg().toBuffer();
    const g = byCode(await detect(generated), 'ai.generator_metadata');
    expect(g?.evidence?.['kind']).toBe('generated');
    expect(String(g?.evidence?.['source'])).toMatch(/DigitalSourceType/);
    const composite = await sharp(photo()).withXmp(xmp('Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"')).jpeg().toBuffer();
    expect(byCode(await detect(composite), 'ai.generator_metadata')?.evidence?.['kind']).toBe('composite');
    const google = await sharp(photo()).withXmp(xmp('photoshop:Credit="Made with Google AI"')).webp().toBuffer();
    expect(byCode(await detect(google), 'ai.generator_metadata')?.evidence?.['generator']).toBe('Google AI');
    const capture = await sharp(photo()).withXmp(xmp('Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"')).jpeg().toBuffer();
    expect(byCode(await detect(capture), 'ai.generator_metadata')).toBeUndefined();
  });

  it('reads generator EXIF from WebP, which exifr cannot open', async () => {
    const webp = await sharp(photo()).withExif({ IFD0: { Software: 'NovelAI' } }).webp().toBuffer();
    expect(byCode(await detect(webp), 'ai.generator_metadata')?.evidence?.['source']).toBe('webp:EXIF:Software');
  });
});
