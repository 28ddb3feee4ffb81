import { bankMatches } from '../dup/hashes.ts';
import type { Detector } from '../types.ts';

/**
 * `copyright.stock_match`: the upload is a stock image — it matched an entry of a `stock` bank. The match
 * itself is `ref.match`'s (the bank search is memoised per upload, so this asks for the same result
 * rather than searching again); this signal carries it into the copyright family, where policies and
 * `scores.copyright_risk` look for it.
 */
export const stockMatchDetector: Detector = {
  name: 'copyright.stock_match',
  codes: ['copyright.stock_match'],
  kinds: ['image', 'video'],
  async detect(view, { lookups }) {
    const matches = await bankMatches(view, lookups);
    // An allow-listed file is known-good whatever else it matches (as in ref.match).
    if (matches.some((m) => m.bankKind === 'allow')) return [];
    const stock = matches.find((m) => m.bankKind === 'stock');
    if (!stock) return [];
    const where = stock.sourceUrl ?? stock.source ?? stock.key;
    const score = Math.round((1 - stock.distance / 64) * 100) / 100;
    return [
      {
        code: 'copyright.stock_match',
        score,
        severity: 'high',
        message: `stock image: matches "${where}" in stock bank "${stock.bankName}"${stock.variant === 'original' ? '' : ` (as ${stock.variant})`}, PDQ distance ${stock.distance}`,
        evidence: {
          bank_id: stock.bankId,
          bank: stock.bankName,
          entry_id: stock.entryId,
          key: stock.key,
          source_url: stock.sourceUrl,
          source: stock.source,
          distance: stock.distance,
          variant: stock.variant,
          stock_matches: matches.filter((m) => m.bankKind === 'stock').length,
        },
      },
    ];
  },
};
