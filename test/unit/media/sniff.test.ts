import { describe, expect, it } from 'vitest';
import { sniff } from '../../../src/media/sniff.ts';
import { TINY_JPEG, TINY_WEBP, tinyPng, tinyZip } from '../../support/bad-inputs.ts';

// Headers are built by hand so every branch is covered without needing one real file per brand.
const ftyp = (major: string, ...compatible: string[]): Buffer => {
  const body = Buffer.from(major + '\0\0\0\0' + compatible.join(''), 'latin1');
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + body.length, 0);
  head.write('ftyp', 4, 'latin1');
  return Buffer.concat([head, body, Buffer.alloc(64)]);
};

const ebml = (docType: string): Buffer => {
  const dt = Buffer.concat([Buffer.from([0x42, 0x82, 0x80 | docType.length]), Buffer.from(docType, 'latin1')]);
  const version = Buffer.from([0x42, 0x86, 0x81, 0x01]);
  const children = Buffer.concat([version, dt]);
  return Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x80 | children.length]), children, Buffer.alloc(32)]);
};

const codeOf = (bytes: Buffer): string | undefined => {
  try {
    sniff(bytes);
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
};

describe('sniff', () => {
  it('recognises still images by magic bytes', () => {
    expect(sniff(TINY_JPEG)).toMatchObject({ kind: 'image', format: 'jpeg', mime: 'image/jpeg' });
    expect(sniff(tinyPng())).toMatchObject({ format: 'png', animated: false });
    expect(sniff(TINY_WEBP)).toMatchObject({ format: 'webp', animated: false });
    expect(sniff(Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'))).toMatchObject({ format: 'gif' });
    expect(sniff(Buffer.from('II*\0\x08\0\0\0', 'latin1'))).toMatchObject({ format: 'tiff' });
    expect(sniff(Buffer.from('MM\0*\0\0\0\x08', 'latin1'))).toMatchObject({ format: 'tiff' });
  });

  it('tells animated WebP from still WebP by the VP8X flag', () => {
    const vp8x = Buffer.alloc(30);
    vp8x.write('RIFF', 0, 'latin1');
    vp8x.writeUInt32LE(22, 4);
    vp8x.write('WEBPVP8X', 8, 'latin1');
    vp8x[20] = 0x02;
    expect(sniff(vp8x)).toMatchObject({ format: 'webp', animated: true });
    vp8x[20] = 0x10; // alpha only
    expect(sniff(vp8x).animated).toBe(false);
  });

  it('reads ISO-BMFF brands: HEIC, HEIF, AVIF, MP4, MOV', () => {
    expect(sniff(ftyp('heic', 'mif1', 'heic'))).toMatchObject({ kind: 'image', format: 'heic' });
    expect(sniff(ftyp('mif1', 'mif1', 'heic'))).toMatchObject({ format: 'heic' });
    expect(sniff(ftyp('mif1', 'mif1', 'miaf'))).toMatchObject({ format: 'heif' });
    expect(sniff(ftyp('avif', 'mif1', 'miaf'))).toMatchObject({ format: 'avif', animated: false });
    expect(sniff(ftyp('avis', 'avif', 'msf1'))).toMatchObject({ format: 'avif', animated: true });
    expect(sniff(ftyp('mif1', 'avif', 'mif1'))).toMatchObject({ format: 'avif' });
    expect(sniff(ftyp('isom', 'isom', 'avc1'))).toMatchObject({ kind: 'video', format: 'mp4', mime: 'video/mp4' });
    expect(sniff(ftyp('mp42', 'mp41'))).toMatchObject({ format: 'mp4' });
    expect(sniff(ftyp('qt  ', 'qt  '))).toMatchObject({ format: 'mov', mime: 'video/quicktime' });
    const legacyMov = Buffer.concat([Buffer.from([0, 0, 0, 8]), Buffer.from('wide', 'latin1'), Buffer.alloc(16)]);
    expect(sniff(legacyMov)).toMatchObject({ format: 'mov' });
    expect(codeOf(ftyp('M4A ', 'isom'))).toBe('media.unsupported_type');
  });

  it('reads the EBML DocType: WebM vs Matroska', () => {
    expect(sniff(ebml('webm'))).toMatchObject({ kind: 'video', format: 'webm' });
    expect(sniff(ebml('matroska'))).toMatchObject({ kind: 'video', format: 'mkv' });
  });

  it('gives recognised non-media specific codes', () => {
    expect(codeOf(Buffer.alloc(0))).toBe('media.empty');
    expect(codeOf(tinyZip())).toBe('media.archive');
    expect(codeOf(Buffer.from('Rar!\x1a\x07\x00', 'latin1'))).toBe('media.archive');
    expect(codeOf(Buffer.from('7z\xbc\xaf\x27\x1c\0\x04', 'latin1'))).toBe('media.archive');
    expect(codeOf(Buffer.from('<!doctype html><p>hi</p>'))).toBe('media.active_content');
    expect(codeOf(Buffer.from('\ufeff  <html><body>x</body></html>'))).toBe('media.active_content');
    // SVG is active content even without a script: see the policy in sniff.ts.
    expect(codeOf(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>'))).toBe('media.active_content');
    expect(codeOf(Buffer.from('<?xml version="1.0"?><note>hi</note>'))).toBe('media.unsupported_type');
    expect(codeOf(Buffer.from('%PDF-1.4\n'))).toBe('media.unsupported_type');
    expect(codeOf(Buffer.from('BM\x36\0\0\0', 'latin1'))).toBe('media.unsupported_type');
    expect(codeOf(Buffer.from([0xff, 0x0a, 0x00]))).toBe('media.unsupported_type');
  });
});
