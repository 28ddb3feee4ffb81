import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { TollgateError } from '../../errors.ts';
import { ByteReader } from './byte-reader.ts';
import { decodeContent, dechunk, parseHttpHead } from './http-message.ts';
import { checkMedia, SNIFF_BYTES } from './media-check.ts';
import { DEFAULT_MAX_BYTES, type BankSourceOptions } from './options.ts';
import type { BankItem, BankSource } from './types.ts';

/** Longest header line we accept; real WARC headers are far shorter, garbage is not. */
const MAX_LINE = 64 * 1024;
/** Room for an HTTP response head on top of the payload limit. */
const HEAD_ALLOWANCE = 64 * 1024;

interface WarcHeader {
  version: string;
  fields: Map<string, string>;
  /** Offset of the record in the (decompressed) stream, for keys and messages when ids are missing. */
  offset: number;
}

type Opener = (signal?: AbortSignal) => Promise<Readable>;

/** `<urn:uuid:…>` keeps its brackets (that is the id); WARC 1.0 drafts wrapped target URIs in them too. */
const unbracket = (s: string): string => (s.startsWith('<') && s.endsWith('>') ? s.slice(1, -1) : s);

const isMediaType = (ct: string | undefined): boolean => /^\s*(image|video)\//i.test(ct ?? '');

async function isGzipFile(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/**
 * A WARC 1.0/1.1 file (`.warc` or `.warc.gz`), e.g. from Common Crawl, read as a stream: records are
 * parsed one at a time, and only image/video payloads are held in memory, each at most `maxBytes`.
 *
 * Gzip is detected by magic bytes, not by name. Common Crawl writes one gzip member per record; Node's
 * gunzip stream continues across concatenated members, so the file decodes as one record stream.
 *
 * `response` records (HTTP status 200, payload sniffed as media) and `resource` records (raw payload)
 * yield media keyed by WARC-Record-ID with their target URI. Requests, metadata, warcinfo, revisits and
 * non-media responses are skipped silently (Common Crawl is mostly HTML). A response that claims an
 * image/video type but fails the sniff, is cut by the crawler (WARC-Truncated) or is oversized is
 * reported as `skipped`, as is a record the file ends inside of; the import then ends normally.
 */
export class WarcSource implements BankSource {
  private readonly maxBytes: number;
  private readonly reportNonMedia: boolean;

  constructor(
    private readonly label: string,
    private readonly opener: Opener,
    options: BankSourceOptions = {},
  ) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.reportNonMedia = options.reportNonMedia ?? false;
  }

  static fromFile(path: string, options: BankSourceOptions = {}): WarcSource {
    return new WarcSource(path, async () => {
      const gz = await isGzipFile(path);
      const file = createReadStream(path, { highWaterMark: 256 * 1024 });
      return gz ? file.pipe(zlib.createGunzip()).on('close', () => file.destroy()) : file;
    }, options);
  }

  /** For a WARC whose bytes come from elsewhere (a guarded download); `gzip` per the first bytes or name. */
  static fromStream(label: string, open: Opener, gzip: boolean, options: BankSourceOptions = {}): WarcSource {
    return new WarcSource(label, async (signal) => {
      const raw = await open(signal);
      return gzip ? raw.pipe(zlib.createGunzip()).on('close', () => raw.destroy()) : raw;
    }, options);
  }

  describe(): string {
    return `WARC ${this.label}`;
  }

  /** Unknown without reading the whole archive. */
  async total(): Promise<undefined> {
    return undefined;
  }

  private async readHeader(reader: ByteReader, first: boolean): Promise<WarcHeader | 'end' | { garbage: string }> {
    let line: string | undefined | null;
    // Records are separated by CRLF CRLF; tolerate any number of blank lines.
    do line = await reader.readLine(MAX_LINE);
    while (line === '');
    if (line === undefined) return 'end';
    const offset = reader.position - Buffer.byteLength(line ?? '') - 2;
    if (line === null || !/^WARC\/\d+\.\d+$/.test(line.trim())) {
      if (first) throw new TollgateError('input.invalid', `${this.label} is not a WARC file (no WARC/1.x version line)`);
      return { garbage: `no WARC record at byte ${Math.max(0, offset)} of the decompressed stream` };
    }
    const fields = new Map<string, string>();
    let last: string | undefined;
    for (;;) {
      const h = await reader.readLine(MAX_LINE);
      if (h === undefined || h === null) return { garbage: `record header at byte ${offset} is truncated or malformed` };
      if (h === '') break;
      if (/^[ \t]/.test(h) && last) {
        fields.set(last, `${fields.get(last) ?? ''} ${h.trim()}`);
        continue;
      }
      const colon = h.indexOf(':');
      if (colon <= 0) continue;
      last = h.slice(0, colon).trim().toLowerCase();
      fields.set(last, h.slice(colon + 1).trim());
    }
    return { version: line.trim(), fields, offset };
  }

  async *items(options: { signal?: AbortSignal; skipKeys?: ReadonlySet<string> } = {}): AsyncIterable<BankItem> {
    const { signal, skipKeys } = options;
    signal?.throwIfAborted();
    let stream: Readable;
    try {
      stream = await this.opener(signal);
    } catch (err) {
      if (err instanceof TollgateError) throw err;
      throw new TollgateError('input.not_found', `cannot open ${this.label}: ${err instanceof Error ? err.message : String(err)}`, undefined, { cause: err });
    }
    const reader = new ByteReader(stream);
    try {
      for (let first = true; ; first = false) {
        signal?.throwIfAborted();
        const header = await this.readHeader(reader, first);
        if (header === 'end') break;
        if ('garbage' in header) {
          yield { kind: 'skipped', key: `${this.label}@${reader.position}`, reason: this.withStreamError(header.garbage, reader) };
          break;
        }
        const f = header.fields;
        const key = f.get('warc-record-id') ?? `${this.label}@${header.offset}`;
        const length = Number(f.get('content-length'));
        if (!Number.isSafeInteger(length) || length < 0) {
          // Without a length there is no way to find the next record.
          yield { kind: 'skipped', key, reason: `record at byte ${header.offset} has no valid Content-Length; stopping` };
          break;
        }
        const type = (f.get('warc-type') ?? '').toLowerCase();
        const uri = f.get('warc-target-uri');
        const sourceUrl = uri === undefined ? undefined : unbracket(uri);
        const wanted = (type === 'response' || type === 'resource') && !skipKeys?.has(key);
        if (!wanted) {
          const got = await reader.skip(length);
          if (got < length) {
            yield this.truncated(key, sourceUrl, length, got, reader);
            break;
          }
          continue;
        }
        const item = await this.readPayload(reader, type, length, f, key, sourceUrl);
        if (item === 'truncated') {
          yield this.truncated(key, sourceUrl, length, undefined, reader);
          break;
        }
        if (item) yield item;
      }
    } finally {
      await reader.close();
      stream.destroy();
    }
  }

  private truncated(key: string, sourceUrl: string | undefined, length: number, got: number | undefined, reader: ByteReader): BankItem {
    const base = got === undefined ? `the file ends inside this record (Content-Length ${length})` : `the file ends after ${got} of ${length} bytes of this record`;
    const item: BankItem = { kind: 'skipped', key, reason: this.withStreamError(base, reader) };
    if (sourceUrl) item.sourceUrl = sourceUrl;
    return item;
  }

  private withStreamError(reason: string, reader: ByteReader): string {
    return reader.error ? `${reason} (${reader.error.message})` : reason;
  }

  /**
   * One response/resource block → a media item, a skipped item, nothing (silently not media), or
   * 'truncated' when the stream ends inside the block.
   */
  private async readPayload(
    reader: ByteReader,
    type: string,
    length: number,
    f: Map<string, string>,
    key: string,
    sourceUrl: string | undefined,
  ): Promise<BankItem | undefined | 'truncated'> {
    const skipped = (reason: string): BankItem => (sourceUrl ? { kind: 'skipped', key, reason, sourceUrl } : { kind: 'skipped', key, reason });
    const oversized = length > this.maxBytes + HEAD_ALLOWANCE;
    // An over-limit block is identified from its first bytes (HTTP head + sniff), then skipped unread.
    const want = oversized ? HEAD_ALLOWANCE + SNIFF_BYTES : length;
    const block = await reader.read(want);
    if (block.length < want) return 'truncated';
    if (oversized && (await reader.skip(length - want)) < length - want) return 'truncated';

    let declared: string | undefined;
    let body: Buffer;
    let transfer: string | undefined;
    let encoding: string | undefined;
    if (type === 'response') {
      const head = parseHttpHead(block);
      if (!head) return this.reportNonMedia ? skipped('response record without an HTTP response head') : undefined;
      declared = head.headers.get('content-type');
      if (head.status !== 200) return this.reportNonMedia || isMediaType(declared) ? skipped(`HTTP status ${head.status}`) : undefined;
      body = block.subarray(head.length);
      transfer = head.headers.get('transfer-encoding');
      encoding = head.headers.get('content-encoding');
    } else {
      declared = f.get('content-type');
      body = block;
    }
    const claimsMedia = isMediaType(declared);
    const report = claimsMedia || this.reportNonMedia;
    if (oversized) {
      // Sniff what we have, so an oversized video is reported while an oversized HTML page stays silent.
      const looks = checkMedia(body).ok;
      return report || looks ? skipped(`record payload of ${length} bytes exceeds the ${this.maxBytes}-byte limit`) : undefined;
    }
    const truncatedBy = f.get('warc-truncated');
    if (truncatedBy) return report ? skipped(`payload was truncated by the crawler (WARC-Truncated: ${truncatedBy})`) : undefined;
    try {
      if (transfer && /chunked/i.test(transfer)) body = dechunk(body, this.maxBytes);
      body = decodeContent(body, encoding, this.maxBytes);
    } catch (err) {
      return report ? skipped(`cannot decode the HTTP body: ${err instanceof Error ? err.message : String(err)}`) : undefined;
    }
    if (body.length > this.maxBytes) return report ? skipped(`payload exceeds the ${this.maxBytes}-byte limit`) : undefined;
    const check = checkMedia(body);
    if (!check.ok) return report ? skipped(check.reason) : undefined;
    const item: BankItem = { kind: 'media', key, bytes: body, mime: check.mime };
    if (sourceUrl) item.sourceUrl = sourceUrl;
    return item;
  }
}
