import zlib from 'node:zlib';

/** The head of an archived HTTP response, as a crawler wrote it into a WARC `response` record. */
export interface HttpHead {
  status: number;
  headers: Map<string, string>;
  /** Bytes of the status line and headers, blank line included: where the body starts in the block. */
  length: number;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const LFLF = Buffer.from('\n\n');

/** Parses the response head at the start of `block`; undefined when it is not an HTTP response. */
export function parseHttpHead(block: Buffer): HttpHead | undefined {
  let end = block.indexOf(CRLFCRLF);
  let sep = 4;
  // Some crawlers and hand-written archives use bare LF; tolerate it when there is no CRLF pair.
  if (end < 0) {
    end = block.indexOf(LFLF);
    sep = 2;
  }
  if (end < 0) return undefined;
  const lines = block.toString('latin1', 0, end).split(/\r?\n/);
  const m = /^HTTP\/\d(?:\.\d)?\s+(\d{3})/.exec(lines[0] ?? '');
  if (!m) return undefined;
  const headers = new Map<string, string>();
  let last: string | undefined;
  for (const line of lines.slice(1)) {
    if (/^[ \t]/.test(line) && last) {
      headers.set(last, `${headers.get(last) ?? ''} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    // Repeated headers (Transfer-Encoding twice) are joined as HTTP allows.
    headers.set(last, headers.has(last) ? `${headers.get(last) ?? ''}, ${value}` : value);
  }
  return { status: Number(m[1]), headers, length: end + sep };
}

/** Removes chunked transfer coding; throws on a malformed or over-limit body. */
export function dechunk(body: Buffer, maxBytes: number): Buffer {
  const parts: Buffer[] = [];
  let total = 0;
  let o = 0;
  for (;;) {
    const nl = body.indexOf(0x0a, o);
    if (nl < 0) throw new Error('chunked body ends inside a chunk size line');
    const sizeText = body.toString('latin1', o, nl).split(';')[0]?.trim() ?? '';
    if (!/^[0-9a-f]{1,8}$/i.test(sizeText)) throw new Error(`bad chunk size ${JSON.stringify(sizeText.slice(0, 20))}`);
    const size = parseInt(sizeText, 16);
    o = nl + 1;
    if (size === 0) break;
    if (o + size > body.length) throw new Error('chunked body is truncated');
    total += size;
    if (total > maxBytes) throw new Error(`body exceeds the ${maxBytes}-byte limit`);
    parts.push(body.subarray(o, o + size));
    o += size;
    if (body[o] === 0x0d) o++;
    if (body[o] === 0x0a) o++;
  }
  return Buffer.concat(parts, total);
}

/**
 * Undoes Content-Encoding, capped so a small gzip bomb in an archive cannot expand past the item limit.
 * Unknown encodings throw: hashing still-compressed bytes would silently give a useless entry.
 */
export function decodeContent(body: Buffer, encoding: string | undefined, maxBytes: number): Buffer {
  const enc = (encoding ?? '').trim().toLowerCase();
  const opts = { maxOutputLength: maxBytes };
  if (enc === '' || enc === 'identity') return body;
  if (enc === 'gzip' || enc === 'x-gzip') return zlib.gunzipSync(body, opts);
  if (enc === 'deflate') {
    // "deflate" is zlib-wrapped by the spec but raw deflate in some servers' practice.
    try {
      return zlib.inflateSync(body, opts);
    } catch {
      return zlib.inflateRawSync(body, opts);
    }
  }
  if (enc === 'br') return zlib.brotliDecompressSync(body, opts);
  throw new Error(`unsupported content-encoding ${enc}`);
}
