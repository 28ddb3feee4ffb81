import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { logoDetector } from '../../../../src/detectors/copyright/logo.ts';
import { referenceMatchDetector } from '../../../../src/detectors/dup/ref.ts';
import type { BankMatch, DetectorContext, DetectorLookups, LogoMatch } from '../../../../src/detectors/types.ts';
import type { KeypointSet } from '../../../../src/fingerprint/keypoints/extract.ts';
import { LOGO_FRAME_SIDE, logoEntryKeypoints, logoQueryKeypoints } from '../../../../src/fingerprint/keypoints/logo.ts';
import { DescriptorIndex } from '../../../../src/matching/local/descriptor-index.ts';
import { findLogos } from '../../../../src/matching/local/indexes.ts';
import { verifyLogo } from '../../../../src/matching/local/logo-verify.ts';
import { LOGO_MIN_INLIERS } from '../../../../src/matching/local/search.ts';
import { DEFAULT_MEDIA_LIMITS } from '../../../../src/media/limits.ts';
import { openMedia } from '../../../../src/media/open.ts';
import { logoByName, moreLogos, pasteLogo, renderLogoPng, SYNTHETIC_LOGOS } from '../../../support/logos.ts';

// A real photo (public domain, ../shared/data/object-photos) and an invented logo drawn with SVG.
const KITE = readFileSync('../shared/data/object-photos/kite.jpg');
const NORVALE = logoByName('norvale');
const PLACEMENT = { widthShare: 0.12, rotation: 10, opacity: 0.6, centre: { x: 0.3, y: 0.35 } };

const entry = async (): Promise<KeypointSet> => logoEntryKeypoints(await openMedia(await renderLogoPng(NORVALE, 200), DEFAULT_MEDIA_LIMITS));

const logoRef = { bankId: 'b-logo', bankName: 'brands', bankKind: 'logo' as const, entryId: 7, key: 'norvale.png', sourceUrl: null, source: 'norvale.png' };

/** Lookups of a tenant whose logo bank holds `logo`: the extraction runs only when there is one, as in the store. */
function logoLookups(logo: KeypointSet | null, extra: Partial<DetectorLookups> = {}): DetectorLookups & { extractions: number } {
  const lookups = {
    extractions: 0,
    uploadsBySha256: async () => [],
    logoMatchesByKeypoints: async (extract: () => Promise<KeypointSet>): Promise<LogoMatch[]> => {
      if (!logo) return [];
      lookups.extractions++;
      const query = await extract();
      const v = verifyLogo(query, logo);
      return v && v.inliers >= LOGO_MIN_INLIERS
        ? [{ ...logoRef, local: { inliers: v.inliers, matches: v.matches, coverage: v.coverage }, box: v.box, raster: { width: query.width, height: query.height } }]
        : [];
    },
    ...extra,
  };
  return lookups;
}

async function detect(bytes: Buffer, lookups: DetectorLookups, detector = logoDetector) {
  const context: DetectorContext = { upload: { receivedAt: new Date() }, lookups, abort: new AbortController().signal };
  return detector.detect(await openMedia(bytes, DEFAULT_MEDIA_LIMITS), context);
}

describe('logo search keypoints', () => {
  it('describes a 200-px logo at every rendering size, in one frame', async () => {
    const keypoints = await entry();
    expect(keypoints.width).toBe(LOGO_FRAME_SIDE);
    expect(new Set(keypoints.size).size).toBe(7);
    expect(keypoints.count).toBeGreaterThan(300);
    for (let i = 0; i < keypoints.count; i++) {
      expect(keypoints.x[i]).toBeGreaterThan(-LOGO_FRAME_SIDE * 0.1);
      expect(keypoints.x[i]).toBeLessThan(LOGO_FRAME_SIDE * 1.1);
    }
  });

  it('finds the logo 12 % wide, turned 10°, 60 % opaque in a real photo, where it was drawn; not in the photo without it', async () => {
    const logo = await entry();
    const placed = await pasteLogo(KITE, NORVALE, PLACEMENT);
    const view = await openMedia(placed.bytes, DEFAULT_MEDIA_LIMITS);
    const query = await logoQueryKeypoints(view);
    const found = verifyLogo(query, logo);
    expect(found?.inliers).toBeGreaterThanOrEqual(LOGO_MIN_INLIERS);
    const scale = view.info.width / query.width;
    expect(Math.abs(found!.box.x * scale - placed.box.x)).toBeLessThan(10);
    expect(Math.abs(found!.box.width * scale - placed.box.width)).toBeLessThan(12);

    const clean = verifyLogo(await logoQueryKeypoints(await openMedia(KITE, DEFAULT_MEDIA_LIMITS)), logo);
    expect(clean?.inliers ?? 0).toBeLessThan(LOGO_MIN_INLIERS);
  }, 60_000);
});

describe('a library of 20 logos', () => {
  it('verifies the best-voted 16, finds the drawn logo and reports it once', async () => {
    const logos = [...SYNTHETIC_LOGOS, ...moreLogos(14)];
    const index = new DescriptorIndex();
    for (const [i, logo] of logos.entries()) index.add(i + 1, await logoEntryKeypoints(await openMedia(await renderLogoPng(logo, 200), DEFAULT_MEDIA_LIMITS)));
    const placed = await pasteLogo(KITE, NORVALE, PLACEMENT);
    const query = await logoQueryKeypoints(await openMedia(placed.bytes, DEFAULT_MEDIA_LIMITS));
    const found = findLogos(index, logos.map((_, i) => i + 1), query, LOGO_MIN_INLIERS);
    expect(found.map((h) => logos[h.id - 1]!.name)).toEqual(['norvale']);
    expect(findLogos(index, logos.map((_, i) => i + 1), await logoQueryKeypoints(await openMedia(KITE, DEFAULT_MEDIA_LIMITS)), LOGO_MIN_INLIERS)).toEqual([]);
  }, 60_000);
});

describe('copyright.logo', () => {
  it('reports the entry, inliers and the box in upload pixels, medium', async () => {
    const placed = await pasteLogo(KITE, NORVALE, PLACEMENT);
    const signals = await detect(placed.bytes, logoLookups(await entry()));
    expect(signals).toHaveLength(1);
    expect(signals[0]).toMatchObject({ code: 'copyright.logo', severity: 'medium', evidence: { bank: 'brands', key: 'norvale.png', entry_id: 7, matcher: 'local' } });
    expect(signals[0]!.score).toBeGreaterThanOrEqual(0.6);
    const box = signals[0]!.evidence!['box'] as { x: number; y: number; width: number };
    expect(Math.abs(box.x - placed.box.x)).toBeLessThan(10);
    expect(signals[0]!.message).toMatch(/logo "norvale.png" of logo bank "brands" at \d+,\d+ \(1\d % of the width\)/);
  }, 60_000);

  it('extracts nothing for a tenant without logos, and reports nothing on the clean photo', async () => {
    const none = logoLookups(null);
    expect(await detect(KITE, none)).toEqual([]);
    expect(none.extractions).toBe(0);
    const withLogo = logoLookups(await entry());
    expect(await detect(KITE, withLogo)).toEqual([]);
    expect(withLogo.extractions).toBe(1);
  }, 60_000);

  it('names the logo when the upload is the logo file itself (PDQ), and stays silent on an allow-listed upload', async () => {
    const pdq = (kind: BankMatch['bankKind']): BankMatch => ({ ...logoRef, bankKind: kind, bankId: `b-${kind}`, distance: 2, variant: 'original' });
    const itself = await detect(KITE, logoLookups(null, { bankMatchesByPdq: async () => [pdq('logo')] }));
    expect(itself).toMatchObject([{ code: 'copyright.logo', severity: 'medium', evidence: { matcher: 'pdq', distance: 2 } }]);
    expect(await detect(KITE, logoLookups(null, { bankMatchesByPdq: async () => [pdq('allow'), pdq('logo')] }))).toEqual([]);
    // ref.match does not treat the logo bank's hit as a copy.
    expect(await detect(KITE, logoLookups(null, { bankMatchesByPdq: async () => [pdq('logo')] }), referenceMatchDetector)).toEqual([]);
  });
});
