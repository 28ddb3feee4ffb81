/**
 * Reverse image search: the upload against every enabled reference bank of the tenant, by PDQ and, when
 * PDQ finds nothing, by verified local features (src/detectors/dup/local.ts). One signal
 * per bank (its nearest entry), so a policy can act on the bank's kind through `evidence.bank_kind`.
 * A match in an `allow` bank wins over everything else: the file is known-good (the app's splash
 * screen, a sample the app ships), so only that match is reported and the default policy ignores it.
 * Logo banks are left out: a logo is searched for inside uploads by copyright.logo, and an upload that
 * merely shows it is not a copy of it.
 */
import type { BankKind, BankMatch, Detector, LocalBankMatch, Signal } from '../types.ts';
import { bankMatches } from './hashes.ts';
import { localBankMatches, localScore } from './local.ts';

type ReferenceKind = Exclude<BankKind, 'logo'>;
const isReference = <M extends { bankKind: BankKind }>(m: M): m is M & { bankKind: ReferenceKind } => m.bankKind !== 'logo';

const SEVERITY: Record<ReferenceKind, Signal['severity']> = { internet: 'high', stock: 'high', fraud: 'critical', allow: 'info' };
const WHAT: Record<ReferenceKind, string> = {
  internet: 'an image found on the internet',
  stock: 'a stock image',
  fraud: 'known fraud media',
  allow: 'allow-listed media',
};

/** Which bank entry matched, the same for either matcher. */
function entryEvidence(m: (BankMatch | LocalBankMatch) & { bankKind: ReferenceKind }): Record<string, unknown> {
  return { bank_id: m.bankId, bank: m.bankName, bank_kind: m.bankKind, entry_id: m.entryId, key: m.key, source_url: m.sourceUrl, source: m.source };
}

function toSignal(m: BankMatch & { bankKind: ReferenceKind }): Signal {
  const where = m.sourceUrl ?? m.source ?? m.key;
  return {
    code: 'ref.match',
    score: m.bankKind === 'allow' ? 0 : Math.round((1 - m.distance / 64) * 100) / 100,
    severity: SEVERITY[m.bankKind],
    message: `matches ${WHAT[m.bankKind]} in bank "${m.bankName}" (${where})${m.variant === 'original' ? '' : `, as ${m.variant}`}, PDQ distance ${m.distance}`,
    evidence: {
      ...entryEvidence(m),
      matcher: 'pdq',
      distance: m.distance,
      variant: m.variant,
    },
  };
}

function localSignal(m: LocalBankMatch & { bankKind: ReferenceKind }): Signal {
  const where = m.sourceUrl ?? m.source ?? m.key;
  const score = localScore(m.local.inliers);
  return {
    code: 'ref.match',
    score: m.bankKind === 'allow' ? 0 : score,
    severity: SEVERITY[m.bankKind],
    message: `contains ${WHAT[m.bankKind]} in bank "${m.bankName}" (${where}), cropped, rotated or pasted into other content: ${m.local.inliers} local features agree`,
    evidence: {
      ...entryEvidence(m),
      matcher: 'local',
      inliers: m.local.inliers,
      matches: m.local.matches,
      coverage: m.local.coverage,
      ...(m.local.mirrored ? { mirrored: true } : {}),
      score,
    },
  };
}

/** One signal per bank, its best match; an allow-bank match alone wins over everything. */
function perBank<M extends { bankId: string; bankKind: BankKind }>(matches: readonly M[], toSignal: (m: M) => Signal): Signal[] {
  const allow = matches.find((m) => m.bankKind === 'allow');
  if (allow) return [toSignal(allow)];
  const best = new Map<string, M>();
  for (const m of matches) if (!best.has(m.bankId)) best.set(m.bankId, m);
  return [...best.values()].map(toSignal);
}

export const referenceMatchDetector: Detector = {
  name: 'ref.match',
  codes: ['ref.match'],
  kinds: ['image', 'video'],
  async detect(view, { lookups }) {
    const matches = (await bankMatches(view, lookups)).filter(isReference);
    if (matches.length > 0) return perBank(matches, toSignal);
    // Only when PDQ matched nothing: the local matcher is the costlier, second look.
    return perBank((await localBankMatches(view, lookups)).filter(isReference), localSignal);
  },
};
