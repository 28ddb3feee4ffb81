import type { MediaMetadata } from '../../media/types.ts';
import type { Detector, Signal } from '../types.ts';
import { isRecord, signal, str } from './util.ts';

export type SoftwareClass = 'editor' | 'retouch' | 'developer' | 'organizer';

/**
 * Known software, most specific first. Classes decide severity:
 * - editor: general pixel editors (anything can have been changed),
 * - retouch: face/body/beauty and collage apps (changes are the point),
 * - developer: raw developers and filter apps (mostly tone and crop),
 * - organizer: transfer tools, viewers, cataloguers (rewrite metadata, rarely pixels).
 */
const SOFTWARE: readonly [RegExp, string, SoftwareClass][] = [
  [/lightroom/i, 'Adobe Lightroom', 'developer'],
  [/camera raw/i, 'Adobe Camera Raw', 'developer'],
  [/photoshop express/i, 'Photoshop Express', 'developer'],
  [/photoshop/i, 'Adobe Photoshop', 'editor'],
  [/\bgimp\b/i, 'GIMP', 'editor'],
  [/affinity/i, 'Affinity Photo', 'editor'],
  [/pixelmator/i, 'Pixelmator', 'editor'],
  [/paint\.net/i, 'Paint.NET', 'editor'],
  [/photopea/i, 'Photopea', 'editor'],
  [/fireworks/i, 'Adobe Fireworks', 'editor'],
  [/paint ?shop|corel/i, 'Corel PaintShop', 'editor'],
  [/\bkrita\b/i, 'Krita', 'editor'],
  [/pixlr/i, 'Pixlr', 'editor'],
  [/photoscape/i, 'PhotoScape', 'editor'],
  [/fotor|befunky/i, 'online editor', 'editor'],
  [/imagemagick|graphicsmagick/i, 'ImageMagick', 'editor'],
  [/\bcanva\b/i, 'Canva', 'retouch'],
  [/picsart/i, 'PicsArt', 'retouch'],
  [/facetune/i, 'Facetune', 'retouch'],
  [/meitu|beautycam|airbrush|faceapp|youcam|perfect365|lensa|remini|retouch/i, 'retouch app', 'retouch'],
  [/snapseed/i, 'Snapseed', 'developer'],
  [/\bvsco\b/i, 'VSCO', 'developer'],
  [/capture one/i, 'Capture One', 'developer'],
  [/darktable|rawtherapee|dxo|luminar|skylum|on1 photo|polarr|afterlight|lightleap|photodirector/i, 'photo developer', 'developer'],
  [/digital photo professional|silkypix|capture nx|nx studio/i, 'raw converter', 'developer'],
  [/picasa|photo gallery|windows photo|microsoft photos|iphoto|shotwell|acdsee|irfanview|xnview|faststone|digikam/i, 'viewer/organizer', 'organizer'],
  [/nikon transfer|camedia|pmb|playmemories|zoombrowser|imagebrowser|camera ?window|image transfer/i, 'camera transfer tool', 'organizer'],
];

export interface SoftwareHit {
  raw: string;
  name: string;
  cls: SoftwareClass;
  tag: string;
}

export function classifySoftware(raw: string): { name: string; cls: SoftwareClass } | undefined {
  for (const [re, name, cls] of SOFTWARE) if (re.test(raw)) return { name, cls };
  return undefined;
}

const SOFTWARE_TAGS = ['Software', 'CreatorTool', 'ProcessingSoftware', 'HistorySoftwareAgent', 'Producer'] as const;

export function softwareHits(meta: MediaMetadata): SoftwareHit[] {
  const hits: SoftwareHit[] = [];
  for (const tag of SOFTWARE_TAGS) {
    const raw = str(meta, tag);
    if (!raw) continue;
    const c = classifySoftware(raw);
    if (c && !hits.some((h) => h.raw === raw)) hits.push({ raw, tag, ...c });
  }
  return hits;
}

const RANK: Record<SoftwareClass, number> = { retouch: 3, editor: 2, developer: 1, organizer: 0 };

export const editSoftware: Detector = {
  name: 'meta.edit_software',
  codes: ['meta.edit_software'],
  kinds: ['image', 'video'],
  async detect(view) {
    const hits = softwareHits(await view.metadata());
    if (hits.length === 0) return [];
    hits.sort((a, b) => RANK[b.cls] - RANK[a.cls]);
    const top = hits[0]!;
    const evidence = { software: top.raw, class: top.cls, tags: hits.map((h) => `${h.tag}=${h.raw}`) };
    // Software alone never proves a fake: a photographer's Lightroom export is honest. Medium at most.
    if (top.cls === 'organizer') return [signal('meta.edit_software', 'low', 0.25, `rewritten by ${top.raw}`, evidence)];
    if (top.cls === 'developer') return [signal('meta.edit_software', 'medium', 0.45, `processed in ${top.raw}`, evidence)];
    const score = top.cls === 'retouch' ? 0.65 : 0.6;
    return [signal('meta.edit_software', 'medium', score, `saved by ${top.raw}`, evidence)];
  },
};

interface HistoryEntry {
  action: string;
  agent?: string;
  when?: string;
  changed?: string;
}

function historyEntries(meta: MediaMetadata): HistoryEntry[] {
  const raw = meta['History'];
  const list = Array.isArray(raw) ? raw : isRecord(raw) ? [raw] : [];
  const out: HistoryEntry[] = [];
  for (const e of list) {
    if (!isRecord(e)) continue;
    const action = typeof e['action'] === 'string' ? e['action'] : '';
    const entry: HistoryEntry = { action };
    if (typeof e['softwareAgent'] === 'string') entry.agent = e['softwareAgent'];
    if (typeof e['when'] === 'string') entry.when = e['when'];
    if (typeof e['changed'] === 'string') entry.changed = e['changed'];
    out.push(entry);
  }
  return out;
}

function ids(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(ids);
  if (isRecord(v)) return Object.values(v).flatMap(ids);
  return [];
}

function bareId(id: string): string {
  return id.replace(/^(xmp\.did:|xmp\.iid:|adobe:docid:photoshop:|uuid:)/i, '').toLowerCase();
}

export const editHistory: Detector = {
  name: 'meta.edit_history',
  codes: ['meta.edit_history'],
  kinds: ['image', 'video'],
  async detect(view) {
    const meta = await view.metadata();
    const history = historyEntries(meta);
    const derived = isRecord(meta['DerivedFrom']) ? meta['DerivedFrom'] : undefined;
    const own = new Set([meta['OriginalDocumentID'], meta['DocumentID']].flatMap(ids).map(bareId));
    // Photoshop lists in DocumentAncestors every document whose layers were pasted in: a composite.
    const foreign = [...new Set(ids(meta['DocumentAncestors']).map(bareId))].filter((a) => a && !own.has(a));
    const pixelSteps = history.filter((h) => {
      const a = h.action.toLowerCase();
      const metadataOnly = h.changed !== undefined && /^\/?metadata$/i.test(h.changed.trim());
      return a !== 'created' && !metadataOnly && (a !== 'saved' || h.changed === undefined || h.changed.includes('/'));
    });
    const agents = [...new Set(history.map((h) => h.agent).filter((a): a is string => !!a))];
    const out: Signal[] = [];
    const evidence: Record<string, unknown> = {
      steps: history.length,
      pixelSteps: pixelSteps.length,
      agents,
      actions: [...new Set(history.map((h) => h.action))],
    };
    if (derived) evidence['derivedFrom'] = derived;
    if (foreign.length > 0) evidence['foreignAncestors'] = foreign.length;
    if (foreign.length > 0) {
      const score = Math.min(0.85, 0.6 + 0.05 * foreign.length);
      out.push(signal('meta.edit_history', 'medium', score, `composite: content pasted from ${foreign.length} other document(s)`, evidence));
    } else if (pixelSteps.length > 0 || derived) {
      const what = agents.length ? agents.slice(-2).join(', ') : 'an editor';
      const msg = derived ? `derived from another document, edited in ${what}` : `${pixelSteps.length} edit step(s) by ${what}`;
      out.push(signal('meta.edit_history', 'medium', derived ? 0.55 : 0.5, msg, evidence));
    } else if (history.length > 0) {
      out.push(signal('meta.edit_history', 'low', 0.2, `metadata rewritten ${history.length} time(s)`, evidence));
    }
    return out;
  },
};
