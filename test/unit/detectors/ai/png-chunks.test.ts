import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { crc32, readPngMetadata } from '../../../../src/detectors/ai/png-chunks.ts';
import { decodePngWithAlpha, decodeStealth, encodeStealth } from '../../../../src/detectors/ai/stealth.ts';
import { generatorMetadataDetector } from '../../../../src/detectors/ai/generator-metadata.ts';
import { openMedia } from '../../../../src/media/open.ts';
import { context, HAS_DATA, read } from './helpers.ts';

function chunk(type: string, data: Buffer, badCrc = false): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(badCrc ? 0xdeadbeef : crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** Inserts chunks right after IHDR of a real PNG. */
function withChunks(png: Buffer, chunks: Buffer[]): Buffer {
  const ihdrEnd = 8 + 8 + 13 + 4;
  return Buffer.concat([png.subarray(0, ihdrEnd), ...chunks, png.subarray(ihdrEnd)]);
}

const A1111 = 'a red fox in snow\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 512x512, Model hash: abc, Model: dreamshaper_8';

describe('PNG text chunk reader', () => {
  it('matches the PNG CRC-32 check value', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('reads tEXt, zTXt and compressed/uncompressed iTXt, tolerating a bad CRC', async () => {
    const base = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#808080' } }).png().toBuffer();
    const png = withChunks(base, [
      chunk('tEXt', Buffer.concat([Buffer.from('Software\0'), Buffer.from('NovelAI')]), true),
      chunk('zTXt', Buffer.concat([Buffer.from('parameters\0\0'), deflateSync(Buffer.from(A1111))])),
      chunk('iTXt', Buffer.concat([Buffer.from('prompt\0\x01\0en\0\0'), deflateSync(Buffer.from('{"1":{"class_type":"CheckpointLoaderSimple","inputs":{"ckpt_name":"sd_xl_base_1.0.safetensors"}}}'))])),
      chunk('iTXt', Buffer.from('Title\0\0\0\0\0héllo wörld', 'utf8')),
    ]);
    const meta = readPngMetadata(png);
    expect(meta.header).toMatchObject({ width: 4, height: 4, colorType: 2 });
    expect(meta.texts.map((t) => [t.chunk, t.keyword])).toEqual([
      ['tEXt', 'Software'],
      ['zTXt', 'parameters'],
      ['iTXt', 'prompt'],
      ['iTXt', 'Title'],
    ]);
    expect(meta.texts[0]?.crcMismatch).toBe(true);
    expect(meta.texts[1]?.text).toBe(A1111);
    expect(meta.texts[3]?.text).toBe('héllo wörld');
    expect(meta.warnings.some((w) => w.startsWith('png.crc'))).toBe(true);
  });

  it('reports truncation, broken compression and bad keywords instead of throwing', async () => {
    const base = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#808080' } }).png().toBuffer();
    const broken = withChunks(base, [chunk('zTXt', Buffer.from('parameters\0\0not deflate')), chunk('tEXt', Buffer.from('\0no keyword'))]);
    const meta = readPngMetadata(broken);
    expect(meta.warnings.some((w) => w.startsWith('png.bad_compressed_text'))).toBe(true);
    expect(meta.warnings.some((w) => w.startsWith('png.bad_keyword'))).toBe(true);
    const truncated = readPngMetadata(broken.subarray(0, 60));
    expect(truncated.warnings.some((w) => w.startsWith('png.truncated'))).toBe(true);
    expect(readPngMetadata(Buffer.from('not a png at all')).warnings[0]).toMatch(/^png.signature/);
  });

  it('refuses to inflate a zTXt bomb past the limit', async () => {
    const base = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#808080' } }).png().toBuffer();
    const bomb = withChunks(base, [chunk('zTXt', Buffer.concat([Buffer.from('parameters\0\0'), deflateSync(Buffer.alloc(64 * 1024 * 1024, 0x41))]))]);
    const meta = readPngMetadata(bomb);
    expect(meta.texts).toHaveLength(0);
    expect(meta.warnings.some((w) => w.startsWith('png.bad_compressed_text'))).toBe(true);
  });
});

describe.skipIf(!HAS_DATA)('A1111 stealth pnginfo', () => {
  it('decodes the real stealth sample from sd-parsers', async () => {
    const pixels = await decodePngWithAlpha(read('ai-generator-metadata/sd-parsers/parsers/AUTOMATIC1111/automatic1111_stealth.png'), 1e8);
    const payload = decodeStealth(pixels);
    expect(payload).toMatchObject({ mode: 'alpha', compressed: true, signature: 'stealth_pngcomp' });
    expect(payload?.text).toMatch(/^a circle\n/);
  });

  it.each([
    ['alpha', false],
    ['alpha', true],
    ['rgb', false],
    ['rgb', true],
  ] as const)('round-trips mode %s (gzip %s) through a real photo saved as PNG', async (mode, compressed) => {
    const photo = read('object-photos/eagle.jpg');
    const { data, info } = await sharp(photo).resize(320).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const marked = encodeStealth({ width: info.width, height: info.height, channels: 4, data }, A1111, mode, compressed);
    const png = await sharp(Buffer.from(marked.data), { raw: { width: info.width, height: info.height, channels: 4 } }).png().toBuffer();
    const signals = await generatorMetadataDetector.detect(await openMedia(png), context());
    const signal = signals.find((s) => s.code === 'ai.generator_metadata');
    expect(signal?.evidence).toMatchObject({ generator: 'AUTOMATIC1111', model: 'dreamshaper_8', source: `png:stealth_${mode}${compressed ? ':gzip' : ''}` });
  });

  it('finds nothing in the alpha channel of a real inpainting mask', async () => {
    const pixels = await decodePngWithAlpha(read('ai-generator-metadata/comfyui-examples/inpaint/yosemite_inpaint_example.png'), 1e8);
    expect(pixels.channels).toBe(4);
    expect(decodeStealth(pixels)).toBeNull();
  });
});

describe.skipIf(!HAS_DATA)('front ends recognised from PNG text chunks on a real photo', () => {
  const cases: Array<[string, string, string, RegExp]> = [
    ['Description', 'a lighthouse at dusk, cinematic --ar 3:2 --v 6.1 Job ID: 3f1c2a9e-5b7d-4e21-9c3a-0d8e6f4b2a17', 'Midjourney', /lighthouse/],
    ['parameters', '{"sui_image_params": {"prompt": "a lighthouse", "model": "OfficialStableDiffusion/sd_xl_base_1.0", "seed": 1}}', 'SwarmUI', /lighthouse/],
    ['parameters', A1111, 'AUTOMATIC1111', /red fox/],
  ];
  it.each(cases)('%s chunk → %s', async (keyword, text, generator, prompt) => {
    const base = await sharp(read('object-photos/horses.jpg')).resize(256).png().toBuffer();
    const png = withChunks(base, [chunk('tEXt', Buffer.concat([Buffer.from(`${keyword}\0`, 'latin1'), Buffer.from(text, 'utf8')]))]);
    const signals = await generatorMetadataDetector.detect(await openMedia(png), context());
    const ev = signals.find((s) => s.code === 'ai.generator_metadata')?.evidence;
    expect(ev?.['generator']).toBe(generator);
    expect(String(ev?.['prompt'])).toMatch(prompt);
  });

  it('ignores ordinary descriptions and camera software written by editors', async () => {
    const base = await sharp(read('object-photos/horses.jpg')).resize(256).png().toBuffer();
    const png = withChunks(base, [
      chunk('tEXt', Buffer.from('Description\0Horses in a field near Uppsala, shot on a Nikon D750', 'latin1')),
      chunk('tEXt', Buffer.from('Software\0GIMP 2.10.34', 'latin1')),
    ]);
    expect(await generatorMetadataDetector.detect(await openMedia(png), context())).toEqual([]);
  });
});
