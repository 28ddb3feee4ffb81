import { TollgateError } from '../../errors.ts';
import { isIgnorable, readLines, splitCsvLine } from './text-lines.ts';
import type { BankItem, BankSource } from './types.ts';

const PDQ_HEX = /^[0-9a-f]{64}$/i;

// Header names seen in HMA / ThreatExchange exports and hand-made lists, in order of preference.
const PDQ_COLUMNS = ['pdq_hex', 'pdq', 'pdq_hash', 'signal_value', 'signal_str', 'signal', 'hash', 'value'];
const TYPE_COLUMNS = ['signal_type', 'type'];
const SOURCE_COLUMNS = ['source', 'source_url', 'url', 'label', 'name', 'content_id', 'bank_content_id', 'tags'];
const QUALITY_COLUMNS = ['quality', 'pdq_quality'];
const KNOWN = new Set([...PDQ_COLUMNS, ...TYPE_COLUMNS, ...SOURCE_COLUMNS, ...QUALITY_COLUMNS]);

interface Layout {
  pdq: number;
  source?: number;
  quality?: number;
  /** Column naming the signal type in HMA exports; rows of other types (md5, video_md5 …) are skipped. */
  type?: number;
}

/** Headerless rows: `pdq_hex,source[,quality]`, or HMA's `pdq,<hex>[,source]` without its header. */
function headerlessLayout(fields: readonly string[]): Layout {
  if ((fields[0] ?? '').toLowerCase() === 'pdq' && PDQ_HEX.test(fields[1] ?? '')) return { type: 0, pdq: 1, source: 2 };
  return { pdq: 0, source: 1, quality: 2 };
}

function pick(names: readonly string[], header: readonly string[]): number | undefined {
  for (const n of names) {
    const i = header.indexOf(n);
    if (i >= 0) return i;
  }
  return undefined;
}

/** A header is a row with a known column name and no hash in it (so `pdq,<hex>` stays a data row). */
function headerLayout(fields: readonly string[]): Layout | undefined {
  const lower = fields.map((f) => f.toLowerCase());
  if (fields.some((f) => PDQ_HEX.test(f)) || !lower.some((f) => KNOWN.has(f))) return undefined;
  const pdq = pick(PDQ_COLUMNS, lower);
  if (pdq === undefined) {
    throw new TollgateError('input.invalid', `the CSV header has no PDQ column (expected one of ${PDQ_COLUMNS.join(', ')})`, { header: fields });
  }
  const layout: Layout = { pdq };
  const type = pick(TYPE_COLUMNS, lower);
  const source = pick(SOURCE_COLUMNS, lower);
  const quality = pick(QUALITY_COLUMNS, lower);
  if (type !== undefined) layout.type = type;
  if (source !== undefined) layout.source = source;
  if (quality !== undefined) layout.quality = quality;
  return layout;
}

type Row = { ok: true; pdq: string; source?: string; quality?: number } | { ok: false; reason: string; key: string };

function parseRow(fields: readonly string[], layout: Layout, n: number): Row {
  const key = `line:${n}`;
  if (layout.type !== undefined) {
    const type = (fields[layout.type] ?? '').toLowerCase();
    if (type !== 'pdq') return { ok: false, key, reason: `line ${n}: signal type ${JSON.stringify(type)} is not pdq` };
  }
  const hex = fields[layout.pdq] ?? '';
  if (!PDQ_HEX.test(hex)) return { ok: false, key, reason: `line ${n}: ${JSON.stringify(hex.slice(0, 80))} is not a 64-hex-digit PDQ hash` };
  const row: Row = { ok: true, pdq: hex.toLowerCase() };
  const source = layout.source === undefined ? '' : (fields[layout.source] ?? '');
  if (source !== '') row.source = source;
  const q = layout.quality === undefined ? '' : (fields[layout.quality] ?? '');
  if (q !== '') {
    if (!/^\d{1,3}$/.test(q) || Number(q) > 100) return { ok: false, key: row.pdq, reason: `line ${n}: quality ${JSON.stringify(q)} is not 0..100` };
    row.quality = Number(q);
  }
  return row;
}

/**
 * Ready-made PDQ hashes, as HMA and ThreatExchange export them, so a bank can be shared without the media.
 * Key = the lower-case hex: a hash is the bank entry, so the same hash listed twice is one entry (the first
 * row's source and quality win). Bad rows become `skipped` items naming their line.
 */
export class HashCsvSource implements BankSource {
  constructor(private readonly file: string) {}

  describe(): string {
    return `PDQ hash list ${this.file}`;
  }

  async total(): Promise<number> {
    let count = 0;
    for await (const r of this.rows()) if (r) count++;
    return count;
  }

  private async *rows(): AsyncGenerator<Row | undefined> {
    let layout: Layout | undefined;
    try {
      for await (const { line, n } of readLines(this.file)) {
        if (isIgnorable(line)) continue;
        const fields = splitCsvLine(line);
        if (!fields) {
          yield { ok: false, key: `line:${n}`, reason: `line ${n}: unbalanced quote` };
          continue;
        }
        if (!layout) {
          const header = headerLayout(fields);
          layout = header ?? headerlessLayout(fields);
          if (header) continue;
        }
        yield parseRow(fields, layout, n);
      }
    } catch (err) {
      if (err instanceof TollgateError) throw err;
      throw new TollgateError('input.invalid', `cannot read hash list ${this.file}: ${String(err)}`, undefined, { cause: err });
    }
  }

  async *items(options: { signal?: AbortSignal; skipKeys?: ReadonlySet<string> } = {}): AsyncIterable<BankItem> {
    const { signal, skipKeys } = options;
    const seen = new Set<string>();
    for await (const row of this.rows()) {
      signal?.throwIfAborted();
      if (!row) continue;
      if (!row.ok) {
        if (!skipKeys?.has(row.key)) yield { kind: 'skipped', key: row.key, reason: row.reason };
        continue;
      }
      if (seen.has(row.pdq)) continue;
      seen.add(row.pdq);
      if (skipKeys?.has(row.pdq)) continue;
      const item: BankItem = { kind: 'hash', key: row.pdq, pdq: row.pdq };
      if (row.source !== undefined) item.source = row.source;
      if (row.quality !== undefined) item.quality = row.quality;
      yield item;
    }
  }
}
