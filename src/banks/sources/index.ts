import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { TollgateError } from '../../errors.ts';
import { FolderSource } from './folder.ts';
import { HashCsvSource } from './hash-csv.ts';
import { deadline, DownloadRefused, openGuarded, type FetchPolicy } from './http-fetch.ts';
import {
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_REDIRECTS,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_USER_AGENT,
  type BankSourceOptions,
} from './options.ts';
import { UrlListSource } from './url-list.ts';
import { WarcSource } from './warc.ts';
import type { BankSource } from './types.ts';

export type { BankItem, BankSource } from './types.ts';
export type { BankSourceOptions } from './options.ts';
export { FolderSource } from './folder.ts';
export { HashCsvSource } from './hash-csv.ts';
export { UrlListSource } from './url-list.ts';
export { WarcSource } from './warc.ts';
export { classifyAddress, type AddressClass } from './net-guard.ts';

const HEAD = 4096;

async function readHead(file: string): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(HEAD);
    const { bytesRead } = await fh.read(buf, 0, HEAD, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** WARC by content, for archives saved under another name (`CC-MAIN-…warc.gz.1`, `crawl.bin`). */
function looksLikeWarc(head: Buffer): boolean {
  let text = head;
  if (head[0] === 0x1f && head[1] === 0x8b) {
    try {
      // A partial member: decode what is there, which is enough to see the version line.
      text = gunzipSync(head, { finishFlush: 2 /* Z_SYNC_FLUSH */ });
    } catch {
      return false;
    }
  }
  return text.toString('latin1', 0, 8).startsWith('WARC/');
}

/** Plain text: no NUL bytes and valid UTF-8 (the last bytes may be a character cut by the head read). */
function looksLikeText(head: Buffer): boolean {
  if (head.includes(0)) return false;
  const decoded = head.toString('utf8');
  const bad = decoded.slice(0, Math.max(0, decoded.length - 4)).includes('\ufffd');
  return !bad;
}

function policyFor(options: BankSourceOptions): FetchPolicy {
  return {
    maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxRedirects: options.maxRedirects ?? DEFAULT_MAX_REDIRECTS,
    allowPrivate: options.allowPrivateAddresses ?? false,
    userAgent: options.userAgent ?? DEFAULT_USER_AGENT,
  };
}

/**
 * A remote WARC streams through the same address guard and redirect checks as a URL list. It has no
 * byte limit (Common Crawl files are ~1 GB); the timeout bounds the wait for headers and then each stall.
 */
function remoteWarc(url: string, options: BankSourceOptions): WarcSource {
  const policy = policyFor(options);
  const opener = async (signal?: AbortSignal): Promise<Readable> => {
    const d = deadline(policy.timeoutMs, signal);
    try {
      const { res } = await openGuarded(url, policy, d.signal);
      res.setTimeout(policy.timeoutMs, () => res.destroy(new Error(`no data for ${policy.timeoutMs} ms`)));
      return res;
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      const why = d.timedOut() ? `timed out after ${policy.timeoutMs} ms` : err instanceof Error ? err.message : String(err);
      const code = err instanceof DownloadRefused || d.timedOut() ? 'input.invalid' : 'input.not_found';
      throw new TollgateError(code, `cannot download WARC ${url}: ${why}`, { url }, { cause: err });
    } finally {
      d.clear();
    }
  };
  return WarcSource.fromStream(url, opener, /\.gz$/i.test(new URL(url).pathname), options);
}

/**
 * Opens a bank import source from what `spec` is:
 * - a directory → {@link FolderSource};
 * - `.warc` / `.warc.gz` (or any file whose content starts with a WARC record) → {@link WarcSource};
 * - `.csv` → {@link HashCsvSource} (PDQ hashes);
 * - `.txt`, `.urls` or any other text file → {@link UrlListSource};
 * - an `http(s)://` URL ending in `.warc`/`.warc.gz` → a streamed remote WARC; any other URL → that one URL.
 * Anything else is `input.invalid`; a missing path is `input.not_found`.
 */
export async function openBankSource(spec: string, options: BankSourceOptions = {}): Promise<BankSource> {
  if (/^https?:\/\//i.test(spec)) {
    let url: URL;
    try {
      url = new URL(spec);
    } catch {
      throw new TollgateError('input.invalid', `not a valid URL: ${spec}`);
    }
    if (/\.warc(\.gz)?$/i.test(url.pathname)) return remoteWarc(spec, options);
    return new UrlListSource({ urls: [spec] }, options);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec)) {
    throw new TollgateError('input.invalid', `unsupported bank source scheme in ${spec} (use a path or an http(s) URL)`);
  }
  const st = await stat(spec).catch(() => undefined);
  if (!st) throw new TollgateError('input.not_found', `bank source ${spec} does not exist`, { path: spec });
  if (st.isDirectory()) return new FolderSource(spec, options);
  if (!st.isFile()) throw new TollgateError('input.invalid', `bank source ${spec} is neither a folder nor a file`, { path: spec });

  const name = path.basename(spec).toLowerCase();
  if (/\.warc(\.gz)?$/.test(name)) return WarcSource.fromFile(spec, options);
  if (name.endsWith('.csv')) return new HashCsvSource(spec);
  const head = await readHead(spec);
  if (looksLikeWarc(head)) return WarcSource.fromFile(spec, options);
  if (/\.(txt|urls|list|lst)$/.test(name) || looksLikeText(head)) {
    if (!looksLikeText(head)) throw new TollgateError('input.invalid', `${spec} should be a text list of URLs but is binary`, { path: spec });
    return new UrlListSource({ path: spec }, options);
  }
  throw new TollgateError(
    'input.invalid',
    `cannot tell what bank source ${spec} is: expected a folder, a .warc/.warc.gz file, a .csv of PDQ hashes or a text file of URLs` +
      ' (a single image belongs in a folder)',
    { path: spec },
  );
}
