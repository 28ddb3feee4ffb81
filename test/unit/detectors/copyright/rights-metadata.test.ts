import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ExifTool } from 'exiftool-vendored';
import { afterAll, describe, expect, it } from 'vitest';
import { rightsMetadataDetector, rightsSignals } from '../../../../src/detectors/copyright/rights-metadata.ts';
import { NO_LOOKUPS, type Signal } from '../../../../src/detectors/types.ts';
import { openMedia } from '../../../../src/media/open.ts';
import { DATA, HAS_DATA, photo } from '../task/helpers.ts';

const upload = { receivedAt: new Date() };
const context = (contributorId?: string) => ({ upload: { ...upload, ...(contributorId ? { contributorId } : {}) }, lookups: NO_LOOKUPS, abort: new AbortController().signal });
const inspect = async (bytes: Buffer, contributorId?: string): Promise<Signal[]> => rightsMetadataDetector.detect(await openMedia(bytes), context(contributorId));

describe('rightsSignals (exifr-shaped metadata)', () => {
  it('rates an agency high, a licence or IPTC notice medium, camera fields low', () => {
    expect(rightsSignals({ Licensor: { LicensorName: 'Getty Images', LicensorURL: 'https://www.gettyimages.com' } }, upload)[0]).toMatchObject({
      severity: 'high',
      evidence: { agency: 'Getty Images', field: 'plus:Licensor' },
    });
    expect(rightsSignals({ WebStatement: 'https://www.shutterstock.com/license' }, upload)[0]?.evidence).toMatchObject({ agency: 'Shutterstock' });
    expect(rightsSignals({ rights: { lang: 'x-default', value: '© Jane Roe' } }, upload)[0]).toMatchObject({ severity: 'medium', evidence: { tier: 'iptc' } });
    expect(rightsSignals({ UsageTerms: { lang: 'x-default', value: 'Licensed to Acme Ltd' } }, upload)[0]).toMatchObject({ severity: 'medium', evidence: { tier: 'licence' } });
    expect(rightsSignals({ Copyright: 'Alex Smith', Make: 'Apple' }, upload)[0]).toMatchObject({ severity: 'low', score: 0.3 });
  });

  it('ignores camera defaults, placeholders, public-domain notices and the contributor', () => {
    expect(rightsSignals({ Copyright: '(C) by RDC-5300 User' }, upload)).toEqual([]);
    expect(rightsSignals({ Copyright: 'KODAK DC240 ZOOM DIGITAL CAMERA', Make: 'EASTMAN KODAK COMPANY' }, upload)).toEqual([]);
    expect(rightsSignals({ Copyright: 'COPYRIGHT, 2005' }, upload)).toEqual([]);
    expect(rightsSignals({ CopyrightNotice: 'Copyright', Credit: 'Credit', Byline: 'Photographer' }, upload)).toEqual([]);
    expect(rightsSignals({ rights: { value: 'Laitche (This file is in the public domain.)' }, creator: 'Laitche' }, upload)).toEqual([]);
    expect(rightsSignals({ rights: { value: '© jane.roe' } }, { ...upload, contributorId: 'jane.roe' })).toEqual([]);
  });
});

describe.skipIf(!HAS_DATA)('copyright.rights_metadata on real files', () => {
  it('sends a photographer-tagged photo to review and reads an agency credit', async () => {
    // kite.jpg: Lightroom-tagged © H. Michael Miley (XMP dc:rights, IPTC, EXIF).
    expect((await inspect(readFileSync(photo('kite.jpg'))))[0]).toMatchObject({ severity: 'medium', evidence: { value: '© H. Michael Miley' } });
    // tanners_ridge.jpg: "All Rights Reserved", a creator and xmpRights:WebStatement.
    expect((await inspect(readFileSync(path.join(DATA, 'immich-test-assets/albums/nature/tanners_ridge.jpg'))))[0]).toMatchObject({
      severity: 'medium',
      evidence: { field: 'xmpRights:WebStatement', value: 'http://www.nps.gov/shen' },
    });
  });

  it('leaves camera defaults and owner names at most low', async () => {
    expect(await inspect(readFileSync(path.join(DATA, 'exif-camera-samples/images/jpg/exif-org/ricoh-rdc5300.jpg')))).toEqual([]);
    expect(await inspect(readFileSync(path.join(DATA, 'exif-camera-samples/images/jpg/Samsung_Digimax_i50_MP3.jpg')))).toEqual([]);
    expect((await inspect(readFileSync(path.join(DATA, 'exif-camera-samples/images/jpg/exif-org/fujifilm-dx10.jpg'))))[0]).toMatchObject({ severity: 'low' });
    expect(await inspect(readFileSync(photo('dog.jpg')))).toEqual([]);
  });

  describe('tags written with exiftool', () => {
    const exiftool = new ExifTool({ taskTimeoutMillis: 20_000 });
    const work = mkdtempSync(path.join(tmpdir(), 'tollgate-rights-'));
    afterAll(async () => {
      await exiftool.end();
      rmSync(work, { recursive: true, force: true });
    });
    const tagged = async (tags: Record<string, string>): Promise<Buffer> => {
      const file = path.join(work, `${Object.keys(tags).join('-').replace(/[^a-z]/gi, '')}.jpg`);
      writeFileSync(file, readFileSync(photo('dog.jpg')));
      await exiftool.write(file, tags, { writeArgs: ['-overwrite_original'] });
      return readFileSync(file);
    };

    it('finds a stock licensor, an agency credit and a web statement', async () => {
      expect((await inspect(await tagged({ 'XMP-plus:LicensorName': 'iStock by Getty Images', 'XMP-plus:LicensorURL': 'https://www.istockphoto.com' })))[0]).toMatchObject({
        severity: 'high',
        evidence: { agency: 'iStock' },
      });
      expect((await inspect(await tagged({ 'IPTC:Credit': 'Shutterstock' })))[0]?.evidence).toMatchObject({ agency: 'Shutterstock', field: 'IPTC/XMP Credit' });
      expect((await inspect(await tagged({ 'IPTC:CopyrightNotice': '© Alamy Stock Photo' })))[0]?.message).toContain('Alamy');
      expect((await inspect(await tagged({ 'XMP-xmpRights:WebStatement': 'https://stock.adobe.com/license-terms' })))[0]?.evidence).toMatchObject({ agency: 'Adobe Stock' });
    });

    it('reviews a third-party notice unless the contributor is the one named', async () => {
      const bytes = await tagged({ 'XMP-dc:Rights': '© Jane Roe. All rights reserved.', 'XMP-dc:Creator': 'Jane Roe' });
      expect((await inspect(bytes))[0]).toMatchObject({ severity: 'medium', evidence: { tier: 'iptc' } });
      expect(await inspect(bytes, 'JaneRoe')).toEqual([]);
    });
  });
});
