/**
 * Reverse image search: the upload against every enabled reference bank of the tenant. One signal
 * per bank (its nearest entry), so a policy can act on the bank's kind through `evidence.bank_kind`.
 * A match in an `allow` bank wins over everything else: the file is known-good (the app's splash
 * screen, a sample the app ships), so only that match is reported and the default policy ignores it.
 */
import type { BankKind, BankMatch, Detector, Signal } from '../types.ts';
import { bankMatches } from './hashes.ts';

const SEVERITY: Record<BankKind, Signal['severity']> = { internet: 'high', stock: 'high', fraud: 'critical', allow: 'info' };
const WHAT: Record<BankKind, string> = {
  internet: 'an image found on the internet',
  stock: 'a stock image',
  fraud: 'known fraud media',
  allow: 'allow-listed media',
};

function toSignal(m: BankMatch): Signal {
  const where = m.sourceUrl ?? m.source ?? m.key;
  return {
    code: 'ref.match',
    score: m.bankKind === 'allow' ? 0 : Math.round((1 - m.distance / 64) * 100) / 100,
    severity: SEVERITY[m.bankKind],
    message: `matches ${WHAT[m.bankKind]} in bank "${m.bankName}" (${where})${m.variant === 'original' ? '' : `, as ${m.variant}`}, PDQ distance ${m.distance}`,
    evidence: {
      bank_id: m.bankId,
      bank: m.bankName,
      bank_kind: m.bankKind,
      entry_id: m.entryId,
      key: m.key,
      source_url: m.sourceUrl,
      source: m.source,
      distance: m.distance,
      variant: m.variant,
    },
  };
}

export const referenceMatchDetector: Detector = {
  name: 'ref.match',
  codes: ['ref.match'],
  kinds: ['image', 'video'],
  async detect(view, { lookups }) {
    const matches = await bankMatches(view, lookups);
    const allow = matches.find((m) => m.bankKind === 'allow');
    if (allow) return [toSignal(allow)];
    const perBank = new Map<string, BankMatch>();
    for (const m of matches) if (!perBank.has(m.bankId)) perBank.set(m.bankId, m);
    return [...perBank.values()].map(toSignal);
  },
};
