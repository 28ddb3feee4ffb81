import { logoQueryKeypoints } from '../../fingerprint/keypoints/logo.ts';
import type { KeypointSet } from '../../fingerprint/keypoints/extract.ts';
import type { MediaView } from '../../media/types.ts';
import { allowListed, bankMatches } from '../dup/hashes.ts';
import type { BankMatch, Detector, LogoMatch, Signal } from '../types.ts';

/**
 * `copyright.logo`: the upload shows a logo from one of the tenant's logo banks — found inside the picture
 * by local features and confirmed geometrically (src/matching/local/logo-verify.ts), or, when the upload is
 * the logo file itself, by the PDQ bank search ref.match already ran. A logo in a photo is not by itself
 * someone else's photo (a branded mug, a shop front), so it is medium: the default policy sends it to
 * review, and a tenant whose logo bank lists marks it never accepts can reject on `evidence.bank`.
 *
 * The search's keypoints (≈6 000 from a 1536-px raster) are extracted only when the tenant has logo
 * entries: the lookup runs the extraction it is given after checking.
 */

/** Logos reported per upload, most inliers first; more add nothing a reviewer needs. */
const MAX_REPORTED = 5;

const keypointMemo = new WeakMap<MediaView, Promise<KeypointSet>>();

function logoKeypoints(view: MediaView): Promise<KeypointSet> {
  let p = keypointMemo.get(view);
  if (!p) keypointMemo.set(view, (p = logoQueryKeypoints(view)));
  return p;
}

/** Enough verified inliers already make the match; more of them only firm it up. */
const localScore = (inliers: number): number => Math.round(Math.min(0.9, 0.6 + inliers / 200) * 100) / 100;

const round = (v: number): number => Math.round(v);

function entryEvidence(m: Omit<BankMatch, 'distance' | 'variant'>): Record<string, unknown> {
  return { bank_id: m.bankId, bank: m.bankName, entry_id: m.entryId, key: m.key, source: m.source, source_url: m.sourceUrl };
}

const logoName = (m: Omit<BankMatch, 'distance' | 'variant'>): string => m.source ?? m.key;

function localSignal(view: MediaView, m: LogoMatch): Signal {
  const sx = view.info.width / m.raster.width;
  const sy = view.info.height / m.raster.height;
  const x = Math.max(0, m.box.x * sx);
  const y = Math.max(0, m.box.y * sy);
  const box = {
    x: round(x),
    y: round(y),
    width: round(Math.min(view.info.width, (m.box.x + m.box.width) * sx) - x),
    height: round(Math.min(view.info.height, (m.box.y + m.box.height) * sy) - y),
  };
  const share = Math.round((100 * box.width) / view.info.width);
  return {
    code: 'copyright.logo',
    score: localScore(m.local.inliers),
    severity: 'medium',
    message: `shows logo "${logoName(m)}" of logo bank "${m.bankName}" at ${box.x},${box.y} (${share} % of the width): ${m.local.inliers} local features agree`,
    evidence: { ...entryEvidence(m), matcher: 'local', inliers: m.local.inliers, matches: m.local.matches, box },
  };
}

function wholeImageSignal(m: BankMatch): Signal {
  return {
    code: 'copyright.logo',
    score: Math.round((1 - m.distance / 64) * 100) / 100,
    severity: 'medium',
    message: `is logo "${logoName(m)}" of logo bank "${m.bankName}" itself (PDQ distance ${m.distance})`,
    evidence: { ...entryEvidence(m), matcher: 'pdq', distance: m.distance, variant: m.variant },
  };
}

export const logoDetector: Detector = {
  name: 'copyright.logo',
  codes: ['copyright.logo'],
  kinds: ['image'],
  async detect(view, { lookups }) {
    if (await allowListed(view, lookups)) return [];
    const whole = (await bankMatches(view, lookups)).filter((m) => m.bankKind === 'logo');
    const firstPerEntry = whole.filter((m, i) => whole.findIndex((o) => o.entryId === m.entryId) === i);
    if (firstPerEntry.length > 0) return firstPerEntry.slice(0, MAX_REPORTED).map(wholeImageSignal);
    if (!lookups.logoMatchesByKeypoints) return [];
    const found = await lookups.logoMatchesByKeypoints(() => logoKeypoints(view));
    return found.slice(0, MAX_REPORTED).map((m) => localSignal(view, m));
  },
};
