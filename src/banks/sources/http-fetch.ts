import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { LookupFunction } from 'node:net';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { checkMedia, SNIFF_BYTES } from './media-check.ts';
import { AddressRefused, vetHost, type VettedAddress } from './net-guard.ts';

export interface FetchPolicy {
  maxBytes: number;
  timeoutMs: number;
  maxRedirects: number;
  allowPrivate: boolean;
  userAgent: string;
}

/** A download that did not produce media. The reason goes into a `skipped` item, never a crash. */
export class DownloadRefused extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'DownloadRefused';
  }
}

export type DownloadResult =
  | { ok: true; bytes: Buffer; mime: string; finalUrl: string }
  | { ok: false; reason: string; finalUrl?: string };

/**
 * Connects to the address we vetted, whatever the resolver would say now: a second lookup at connect
 * time is exactly what a DNS-rebinding attacker flips to 127.0.0.1. Node asks with `all: true` when it
 * races address families (autoSelectFamily), so both callback shapes are answered.
 */
function pinnedLookup(vetted: VettedAddress): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address: vetted.address, family: vetted.family }]);
    else callback(null, vetted.address, vetted.family);
  };
}

function requestOnce(url: URL, vetted: VettedAddress, policy: FetchPolicy, signal: AbortSignal): Promise<IncomingMessage> {
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      url,
      {
        method: 'GET',
        // No shared keep-alive pool: a pooled socket would skip the per-request address check.
        agent: false,
        lookup: pinnedLookup(vetted),
        signal,
        headers: { 'user-agent': policy.userAgent, accept: 'image/*,video/*;q=0.9,*/*;q=0.1', 'accept-encoding': 'identity' },
      },
      resolve,
    );
    req.on('error', reject);
    req.end();
  });
}

/**
 * Follows redirects by hand so every hop goes through the scheme check and the address guard; an
 * automatic redirect is how `https://public.example/` ends up at `http://169.254.169.254/`.
 */
export async function openGuarded(start: string, policy: FetchPolicy, signal: AbortSignal): Promise<{ res: IncomingMessage; finalUrl: string }> {
  let current = start;
  for (let hop = 0; ; hop++) {
    let url: URL;
    try {
      url = new URL(current);
    } catch {
      throw new DownloadRefused(`invalid URL ${JSON.stringify(current)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new DownloadRefused(`scheme ${url.protocol} is not http or https`);
    let vetted: VettedAddress;
    try {
      vetted = await vetHost(url.hostname, policy.allowPrivate);
    } catch (err) {
      if (err instanceof AddressRefused) throw new DownloadRefused(`${err.message} (private addresses are not allowed)`);
      throw new DownloadRefused(`cannot resolve ${url.hostname}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const res = await requestOnce(url, vetted, policy, signal);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (status >= 300 && status < 400 && status !== 304 && location) {
      res.destroy();
      if (hop >= policy.maxRedirects) throw new DownloadRefused(`more than ${policy.maxRedirects} redirects`);
      current = new URL(location, url).toString();
      continue;
    }
    if (status !== 200) {
      res.destroy();
      throw new DownloadRefused(`HTTP ${status}`);
    }
    return { res, finalUrl: url.toString() };
  }
}

function decoded(res: IncomingMessage): Readable {
  // We ask for identity; some servers compress anyway, and the limit must count decoded bytes.
  const enc = String(res.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (enc === 'gzip' || enc === 'x-gzip') return res.pipe(zlib.createGunzip());
  if (enc === 'deflate') return res.pipe(zlib.createInflate());
  if (enc === 'br') return res.pipe(zlib.createBrotliDecompress());
  if (enc === '' || enc === 'identity') return res;
  throw new DownloadRefused(`unsupported content-encoding ${enc}`);
}

async function readLimited(res: IncomingMessage, maxBytes: number): Promise<{ bytes: Buffer; mime: string }> {
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    res.destroy();
    throw new DownloadRefused(`Content-Length ${declared} exceeds the ${maxBytes}-byte limit`);
  }
  const body = decoded(res);
  const chunks: Buffer[] = [];
  let total = 0;
  let mime: string | undefined;
  const fail = (reason: string): never => {
    res.destroy();
    body.destroy();
    throw new DownloadRefused(reason);
  };
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    total += buf.length;
    if (total > maxBytes) fail(`larger than the ${maxBytes}-byte limit`);
    chunks.push(buf);
    // Sniff as soon as the head is here, so a 40 MB HTML page is dropped after 4 KiB, not after 40 MB.
    if (mime === undefined && total >= SNIFF_BYTES) {
      const check = checkMedia(Buffer.concat(chunks));
      if (!check.ok) fail(check.reason);
      else mime = check.mime;
    }
  }
  const bytes = Buffer.concat(chunks, total);
  if (mime === undefined) {
    const check = checkMedia(bytes);
    if (!check.ok) fail(check.reason);
    else mime = check.mime;
  }
  return { bytes, mime: mime ?? 'application/octet-stream' };
}

/** A deadline that can be combined with the caller's abort signal and cleared when done. */
export function deadline(ms: number, outer?: AbortSignal): { signal: AbortSignal; timedOut: () => boolean; clear: () => void } {
  const ctrl = new AbortController();
  let fired = false;
  const timer = setTimeout(() => {
    fired = true;
    ctrl.abort(new DownloadRefused(`timed out after ${ms} ms`));
  }, ms);
  const signal = outer ? AbortSignal.any([outer, ctrl.signal]) : ctrl.signal;
  return { signal, timedOut: () => fired, clear: () => clearTimeout(timer) };
}

/**
 * Downloads one URL as media. Everything that goes wrong with that URL becomes `{ ok: false }`; only the
 * caller's own abort propagates (as the signal's reason), so one bad URL never ends an import.
 */
export async function downloadMedia(url: string, policy: FetchPolicy, outer?: AbortSignal): Promise<DownloadResult> {
  const d = deadline(policy.timeoutMs, outer);
  let finalUrl: string | undefined;
  try {
    const opened = await openGuarded(url, policy, d.signal);
    finalUrl = opened.finalUrl;
    const { bytes, mime } = await readLimited(opened.res, policy.maxBytes);
    return { ok: true, bytes, mime, finalUrl };
  } catch (err) {
    if (outer?.aborted) throw outer.reason;
    const reason = d.timedOut()
      ? `timed out after ${policy.timeoutMs} ms`
      : err instanceof DownloadRefused
        ? err.message
        : `download failed: ${err instanceof Error ? err.message : String(err)}`;
    return finalUrl === undefined ? { ok: false, reason } : { ok: false, reason, finalUrl };
  } finally {
    d.clear();
  }
}
