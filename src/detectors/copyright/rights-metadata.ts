import type { MediaMetadata } from '../../media/types.ts';
import type { Detector, Signal, UploadFacts } from '../types.ts';
import { matchAgency, normalise } from './agencies.ts';

/**
 * `copyright.rights_metadata`: IPTC/XMP/EXIF rights fields that say the picture belongs to someone else.
 *
 * What counts as evidence, strongest first:
 * - a stock agency named anywhere (credit, copyright notice, licensor, web statement URL): high;
 * - a licensing statement (plus:Licensor, xmpRights:WebStatement/UsageTerms, plus:CopyrightOwner) or an
 *   IPTC/XMP copyright notice, credit or creator: medium — set by a photo agency, a newsroom or a
 *   photographer's own workflow (Lightroom, Photo Mechanic), so a person checks the contributor's claim;
 * - only EXIF Copyright/Artist: low — cameras and phones write the owner's name there once it is set.
 * Camera defaults ("(C) by RDC-5300 User", "COPYRIGHT, 2005"), template placeholders ("Photographer",
 * "Credit"), software names and public-domain / Creative Commons notices are noise and are ignored, and so
 * is a name that contains the contributor's id (tenants that use handles as ids).
 */

type Tier = 'licence' | 'iptc' | 'exif';

interface Field {
  /** Where the value was found, as a reviewer knows it. */
  label: string;
  tier: Tier;
  value: string;
}

const FIELDS: readonly { key: string; sub?: string; label: string; tier: Tier }[] = [
  { key: 'Licensor', sub: 'LicensorName', label: 'plus:Licensor', tier: 'licence' },
  { key: 'Licensor', sub: 'LicensorURL', label: 'plus:LicensorURL', tier: 'licence' },
  { key: 'CopyrightOwner', sub: 'CopyrightOwnerName', label: 'plus:CopyrightOwner', tier: 'licence' },
  { key: 'WebStatement', label: 'xmpRights:WebStatement', tier: 'licence' },
  { key: 'UsageTerms', label: 'xmpRights:UsageTerms', tier: 'licence' },
  { key: 'rights', label: 'XMP dc:rights', tier: 'iptc' },
  { key: 'CopyrightNotice', label: 'IPTC CopyrightNotice', tier: 'iptc' },
  { key: 'Credit', label: 'IPTC/XMP Credit', tier: 'iptc' },
  { key: 'Source', label: 'IPTC/XMP Source', tier: 'iptc' },
  { key: 'creator', label: 'XMP dc:creator', tier: 'iptc' },
  { key: 'Byline', label: 'IPTC By-line', tier: 'iptc' },
  { key: 'Copyright', label: 'EXIF Copyright', tier: 'exif' },
  { key: 'Artist', label: 'EXIF Artist', tier: 'exif' },
];

/** Template placeholders and bare words that name nobody. */
const PLACEHOLDER = /^(?:copyright(?: notice)?|credit|source|photographer|author|artist|owner|creator|by-?line|unknown|none|n\/?a|me|user|title|\(c\)|©|all rights reserved|copyright,? \d{4}|\d{4})$/i;
/** Camera and software defaults. */
const DEVICE_DEFAULT = /\(c\) by .* user|digital camera|\bcamera\b|picasa|photoshop|lightroom|\bgimp\b|windows|\bsoftware\b/i;
const PERMISSIVE = /public domain|creative ?commons|\bcc[- ]?(?:0|by)\b|no rights reserved|free for all|copy freely|creativecommons\.org/i;

/** exifr gives strings, `{ value }` (lang-alt), `{ resource }` (URLs), arrays, or structures. */
function textOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) {
    const parts = value.map(textOf).filter((v): v is string => v !== null);
    return parts.length > 0 ? parts.join(', ') : null;
  }
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    return textOf(record['value'] ?? record['resource'] ?? null);
  }
  return null;
}

/** IPTC strings written as UTF-8 but read as Latin-1 turn "©" into "Â©". */
function clean(text: string): string {
  return text.replace(/Â©/g, '©').replace(/\s+/g, ' ').trim();
}

export function rightsFields(metadata: MediaMetadata): Field[] {
  const out: Field[] = [];
  for (const f of FIELDS) {
    let raw: unknown = metadata[f.key];
    if (f.sub) raw = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)[f.sub] : undefined;
    const text = textOf(raw);
    if (text && clean(text)) out.push({ label: f.label, tier: f.tier, value: clean(text) });
  }
  return out;
}

function isNoise(value: string, metadata: MediaMetadata): boolean {
  const bare = value.replace(/^(?:©|\(c\)|copyright)\s*/i, '').trim();
  if (bare.length < 2 || PLACEHOLDER.test(value) || PLACEHOLDER.test(bare) || DEVICE_DEFAULT.test(value)) return true;
  // Some cameras copy their make or model into Copyright/Artist.
  for (const key of ['Make', 'Model']) {
    const device = textOf(metadata[key]);
    if (device && normalise(device).length >= 3 && normalise(value).includes(normalise(device))) return true;
  }
  return false;
}

function isContributor(value: string, upload: UploadFacts): boolean {
  const id = upload.contributorId ? normalise(upload.contributorId) : '';
  return id.length >= 4 && normalise(value).includes(id);
}

export function rightsSignals(metadata: MediaMetadata, upload: UploadFacts): Signal[] {
  const fields = rightsFields(metadata);
  if (fields.some((f) => PERMISSIVE.test(f.value))) return [];
  const third = fields.filter((f) => !isNoise(f.value, metadata) && !isContributor(f.value, upload));
  if (third.length === 0) return [];
  const evidenceFields = Object.fromEntries(third.map((f) => [f.label, f.value]));
  const named = third.map((f) => ({ field: f, agency: matchAgency(f.value) })).find((x) => x.agency);
  if (named) {
    return [
      {
        code: 'copyright.rights_metadata',
        score: 0.9,
        severity: 'high',
        message: `rights metadata names the stock agency ${named.agency!.agency}: ${named.field.label} "${named.field.value}"`,
        evidence: { agency: named.agency!.agency, field: named.field.label, value: named.field.value, tier: 'agency', fields: evidenceFields },
      },
    ];
  }
  const strongest = third.find((f) => f.tier === 'licence') ?? third.find((f) => f.tier === 'iptc') ?? third[0]!;
  const list = third
    .slice(0, 4)
    .map((f) => `${f.label} "${f.value}"`)
    .join(', ');
  if (strongest.tier === 'exif') {
    return [
      {
        code: 'copyright.rights_metadata',
        score: 0.3,
        severity: 'low',
        message: `camera rights fields name someone: ${list} (often the owner's own name, set once in the camera)`,
        evidence: { agency: null, field: strongest.label, value: strongest.value, tier: 'exif', fields: evidenceFields },
      },
    ];
  }
  return [
    {
      code: 'copyright.rights_metadata',
      score: strongest.tier === 'licence' ? 0.7 : 0.6,
      severity: 'medium',
      message: `rights metadata names a rights holder; check that the contributor is them: ${list}`,
      evidence: { agency: null, field: strongest.label, value: strongest.value, tier: strongest.tier, fields: evidenceFields },
    },
  ];
}

export const rightsMetadataDetector: Detector = {
  name: 'copyright.rights_metadata',
  codes: ['copyright.rights_metadata'],
  kinds: ['image'],
  async detect(view, context) {
    return rightsSignals(await view.metadata(), context.upload);
  },
};
