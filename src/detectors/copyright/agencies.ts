/**
 * Stock agencies whose names appear in watermarks and rights metadata, and an approximate matcher
 * that tolerates OCR errors (a dropped or swapped letter, "l" for "i", spaces inside a name).
 */

export interface Agency {
  name: string;
  /** Spellings as they appear in watermarks and credits, compared after `normalise`. */
  aliases: readonly string[];
}

export const STOCK_AGENCIES: readonly Agency[] = [
  { name: 'Shutterstock', aliases: ['shutterstock'] },
  { name: 'Getty Images', aliases: ['gettyimages'] },
  // "stock.com": the credit "iStock.com/name" often loses its small "i" (a weak alias, see matchAgency).
  { name: 'iStock', aliases: ['istockphoto', 'istock', 'stockcom'] },
  { name: 'Alamy', aliases: ['alamy'] },
  { name: 'Adobe Stock', aliases: ['adobestock', 'stockadobecom'] },
  { name: 'Dreamstime', aliases: ['dreamstime'] },
  { name: '123RF', aliases: ['123rf'] },
  { name: 'Depositphotos', aliases: ['depositphotos'] },
  { name: 'Bigstock', aliases: ['bigstockphoto', 'bigstock'] },
  { name: 'Fotolia', aliases: ['fotolia'] },
  { name: 'Can Stock Photo', aliases: ['canstockphoto'] },
  { name: 'Stocksy', aliases: ['stocksy'] },
  { name: 'Pond5', aliases: ['pond5'] },
  { name: 'Freepik', aliases: ['freepik'] },
  { name: 'Vecteezy', aliases: ['vecteezy'] },
  { name: 'age fotostock', aliases: ['agefotostock'] },
  { name: 'Pixta', aliases: ['pixta'] },
  { name: 'Envato', aliases: ['envatoelements', 'envato'] },
  // Masterfile and Corbis are left out: "master file" is ordinary text and Corbis previews are Getty's now.
];

/** Lower case, letters and digits only: watermark fonts and OCR both lose spacing and punctuation. */
export function normalise(text: string): string {
  return text
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

/**
 * `normalise`, then the recogniser's usual confusions folded together ("rn"/"m", "l"/"1"/"i", "0"/"o",
 * "vv"/"w"); names and text go through the same folding, so a folded name still matches itself. ("5"/"s"
 * is left alone: it would turn "pond5" into the word "ponds".)
 */
export function canonical(text: string): string {
  return normalise(text).replace(/rn/g, 'm').replace(/vv/g, 'w').replace(/[l1|]/g, 'i').replace(/0/g, 'o');
}

/**
 * iStock's name is one letter before a common word, so that letter must be read as an "i", never folded from
 * an "l" or "1": "LStockPhoto" is Alamy's credit line with its "y" cut off.
 */
const ONE_LETTER_BRANDS = new Set(['istock', 'istockphoto']);

/** The alias and the text in the form they are compared in: `canonical`, or without the "l"/"1" → "i" fold for one-letter brands. */
function compared(alias: string, text: string): { name: string; clean: string } {
  if (!ONE_LETTER_BRANDS.has(alias)) return { name: canonical(alias), clean: canonical(text) };
  const strict = (t: string): string => normalise(t).replace(/rn/g, 'm').replace(/vv/g, 'w').replace(/0/g, 'o');
  return { name: strict(alias), clean: strict(text) };
}

/** Aliases that lose to any other agency found in the same text: "utterstock.com" is Shutterstock, not "stock.com". */
const WEAK_ALIASES = new Set(['stockcom']);

/**
 * An alias with a stock phrase inside matches only exactly and never in part: "iStockphoto" less its "i"
 * (or with one letter misread) is "Stock Photo", the end of every Alamy credit line.
 */
const STOCK_PHRASES = ['stockphoto'];

function holdsStockPhrase(alias: string): boolean {
  return STOCK_PHRASES.some((phrase) => alias.includes(phrase));
}

/** Generic words that follow a short brand in some names ("adobe" + "stock", "getty" + "images"). */
const GENERIC_TAILS = ['stock', 'images'];

/**
 * Edits a read of this alias may have. A short brand followed by a generic word gets one at most, however
 * long the whole name: two letters off in "adobe" leave any word that ends in "stock" ("tavore stock").
 */
function editsFor(alias: string): number {
  if (holdsStockPhrase(alias)) return 0;
  const tail = GENERIC_TAILS.find((t) => alias.endsWith(t) && alias.length - t.length <= 5);
  return tail ? Math.min(1, allowedEdits(alias.length)) : allowedEdits(alias.length);
}

/**
 * Edits allowed for a name of this length. Short names must match exactly: one edit from "istock"
 * is "stock", a common word, and one from "alamy" or "pixta" hits ordinary text.
 */
export function allowedEdits(length: number): number {
  if (length <= 7) return 0;
  if (length <= 9) return 1;
  if (length <= 11) return 2;
  return 3;
}

/**
 * Digits the recogniser reads for a name's letters in watermark fonts ("4dobe 5tock"). Used one way only, a
 * digit in the text standing for a letter of the name, so "ponds" still does not read as "pond5".
 */
const DIGIT_READS: Readonly<Record<string, string>> = { a: '4', b: '8', g: '6', s: '5' };

/**
 * Fewest edits (insert, delete, substitute) turning `pattern` into some substring of `text`
 * (Sellers' approximate substring matching), with where that substring ends. With `digitReads`, a digit the
 * recogniser reads for one of the pattern's letters costs nothing.
 */
export function approximateSubstring(pattern: string, text: string, digitReads = false): { edits: number; end: number } {
  const m = pattern.length;
  let previous = Array.from({ length: m + 1 }, (_, i) => i);
  let best = { edits: m, end: 0 };
  for (let j = 1; j <= text.length; j++) {
    const current = [0];
    for (let i = 1; i <= m; i++) {
      const same = pattern[i - 1] === text[j - 1] || (digitReads && DIGIT_READS[pattern[i - 1]!] === text[j - 1]);
      current.push(Math.min(previous[i - 1]! + (same ? 0 : 1), previous[i]! + 1, current[i - 1]! + 1));
    }
    if (current[m]! < best.edits) best = { edits: current[m]!, end: j };
    previous = current;
  }
  return best;
}

export interface AgencyMatch {
  agency: string;
  alias: string;
  /** Edits between the alias and the closest part of the text. */
  edits: number;
}

/** The best agency named in `text`, if any name is within its allowed edits. */
export function matchAgency(text: string): AgencyMatch | null {
  if (canonical(text).length === 0) return null;
  // Strong aliases before weak ones, then fewest edits, then the name that comes first ("iStock by Getty
  // Images" is iStock's mark), then the longest alias.
  let best: (AgencyMatch & { start: number; weak: boolean }) | null = null;
  for (const agency of STOCK_AGENCIES) {
    for (const alias of agency.aliases) {
      const { name, clean } = compared(alias, text);
      if (clean.length < name.length - allowedEdits(name.length)) continue;
      const { edits, end } = approximateSubstring(name, clean, true);
      if (edits > editsFor(alias)) continue;
      const start = end - name.length;
      const weak = WEAK_ALIASES.has(alias);
      const better =
        !best ||
        (best.weak && !weak) ||
        (best.weak === weak && (edits < best.edits || (edits === best.edits && (start < best.start || (start === best.start && alias.length > best.alias.length)))));
      if (better) best = { agency: agency.name, alias, edits, start, weak };
    }
  }
  return best ? { agency: best.agency, alias: best.alias, edits: best.edits } : null;
}

/**
 * Short names with a digit ("123rf", "pond5") may be one edit off when they are the whole line: digits
 * next to letters are rare in ordinary text, and OCR often drops or swaps one of them.
 */
export function matchWholeLine(text: string): AgencyMatch | null {
  const clean = canonical(text);
  for (const agency of STOCK_AGENCIES) {
    for (const alias of agency.aliases) {
      if (!/\d/.test(alias) || Math.abs(clean.length - alias.length) > 1) continue;
      // Anchored at both ends: the whole line against the whole name.
      const { edits } = approximateSubstring(`^${canonical(alias)}$`, `^${clean}$`);
      if (edits <= 1) return { agency: agency.name, alias, edits: 1 };
    }
  }
  return null;
}

/** Fragments at least this long count towards a tiled watermark. */
const FRAGMENT_MIN = 5;

/**
 * A watermark tiled at an angle is read in pieces ("eGett", "tty Imag", "ageGetty"): each piece is a
 * substring of the name repeated. An agency counts when at least `minLines` different pieces are, and together
 * they cover most of its name (so a word that merely occurs in the name, like "image" or "stock",
 * does not).
 */
export function matchFragments(texts: readonly string[], minLines = 3, minCoverage = 0.8): (AgencyMatch & { lines: number[] }) | null {
  let best: (AgencyMatch & { lines: number[]; coverage: number }) | null = null;
  for (const agency of STOCK_AGENCIES) {
    for (const alias of agency.aliases) {
      if (alias.length < 6 || holdsStockPhrase(alias)) continue;
      const name = canonical(alias);
      const doubled = name + name;
      const covered = new Set<number>();
      const lines: number[] = [];
      const distinct = new Set<string>();
      texts.forEach((text, index) => {
        const clean = canonical(text);
        if (clean.length < FRAGMENT_MIN || distinct.has(clean)) return;
        const piece = clean.length > doubled.length ? clean.slice(0, doubled.length) : clean;
        const { edits, end } = approximateSubstring(piece, doubled);
        if (edits > (piece.length >= 6 ? 1 : 0)) return;
        for (let i = Math.max(0, end - piece.length); i < end; i++) covered.add(i % name.length);
        distinct.add(clean);
        lines.push(index);
      });
      const coverage = covered.size / name.length;
      if (lines.length >= minLines && coverage >= minCoverage && (!best || coverage > best.coverage)) {
        best = { agency: agency.name, alias, edits: 0, lines, coverage };
      }
    }
  }
  return best ? { agency: best.agency, alias: best.alias, edits: best.edits, lines: best.lines } : null;
}

/** Words inside agency names that occur in ordinary text: never evidence on their own. */
const COMMON_PARTS = new Set(['stock', 'stocks', 'image', 'images', 'photo', 'photos', 'dream', 'dreams', 'shutter', 'deposit', 'adobe', 'elements']);

/**
 * Faint watermarks are often read with the first or last letter cut off by the text box ("alam",
 * "reamstne", "istoek"). A line that is, as a whole, most of one agency name (≥ 80 %, within an edit or
 * two) counts, unless it is an ordinary word that happens to be part of a name ("stock", "images").
 */
export function matchPartialLine(text: string): AgencyMatch | null {
  const clean = canonical(text);
  if (clean.length < 4 || COMMON_PARTS.has(clean)) return null;
  let best: AgencyMatch | null = null;
  for (const agency of STOCK_AGENCIES) {
    for (const alias of agency.aliases) {
      const { name, clean: read } = compared(alias, text);
      if (name.length < 5 || holdsStockPhrase(alias) || read.length < 0.8 * name.length || read.length > name.length + 1) continue;
      const { edits } = approximateSubstring(read, name);
      // Names under 10 letters: one substituted letter at most ("istoek"), never a shorter word ("in stock" is not "bigstock").
      const allowed = read.length < 5 || name.length < 6 ? 0 : name.length >= 10 ? 2 : read.length === name.length ? 1 : 0;
      if (edits <= allowed && (!best || edits < best.edits)) best = { agency: agency.name, alias, edits: edits + 1 };
    }
  }
  return best;
}

/**
 * A line that might be a garbled or cut-off agency name without matching one: the whole name two edits
 * off ("N23KF" for "123RF"), or a piece of one ("ositp", "amstir"). Worth a closer read, not evidence.
 */
export function hintsAtAgency(text: string): boolean {
  const clean = canonical(text);
  if (clean.length < 3 || COMMON_PARTS.has(clean)) return false;
  return STOCK_AGENCIES.some((agency) =>
    agency.aliases.some((alias) => {
      const name = canonical(alias);
      if (Math.abs(name.length - clean.length) <= 2 && approximateSubstring(name, clean, true).edits <= 2) return true;
      return clean.length <= name.length && approximateSubstring(clean, name).edits <= (clean.length >= 6 ? 1 : 0);
    }),
  );
}

