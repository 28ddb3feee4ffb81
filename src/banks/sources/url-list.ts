import { TollgateError } from '../../errors.ts';
import { downloadMedia, type FetchPolicy } from './http-fetch.ts';
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_REDIRECTS,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_USER_AGENT,
  type BankSourceOptions,
} from './options.ts';
import { isIgnorable, readLines, splitCsvLine } from './text-lines.ts';
import type { BankItem, BankSource } from './types.ts';

interface ListEntry {
  url: string;
  label?: string;
  /** Set when the line is not a usable URL; the entry becomes a `skipped` item. */
  problem?: string;
  line: number;
}

/** One line → entry. `url,label` rows are tolerated, as are a `url,label` header and quoted fields. */
function parseEntry(line: string, n: number): ListEntry | 'header' | undefined {
  if (isIgnorable(line)) return undefined;
  const t = line.trim();
  let url = t;
  let label: string | undefined;
  if (t.includes(',') || t.startsWith('"')) {
    const fields = splitCsvLine(t);
    if (!fields) return { url: `line:${n}`, problem: `line ${n}: unbalanced quote`, line: n };
    url = fields[0] ?? '';
    label = fields.slice(1).join(',').trim() || undefined;
  }
  if (/^url$/i.test(url)) return 'header';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url: `line:${n}`, problem: `line ${n}: not a URL: ${url.slice(0, 200)}`, line: n };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return { url, problem: `line ${n}: scheme ${parsed.protocol} is not http or https`, line: n };
  }
  return label === undefined ? { url, line: n } : { url, label, line: n };
}

export interface UrlListInput {
  /** A text file of URLs, or … */
  path?: string;
  /** … URLs given directly (a single URL spec, tests). */
  urls?: readonly string[];
}

/**
 * A list of image/video URLs, downloaded concurrently through the SSRF guard. Results come out in
 * completion order (resume relies on keys, not order), with at most `concurrency` downloads — and so at
 * most `concurrency` bodies — held at once, however long the list.
 */
export class UrlListSource implements BankSource {
  private readonly policy: FetchPolicy;
  private readonly concurrency: number;

  constructor(
    private readonly input: UrlListInput,
    options: BankSourceOptions = {},
  ) {
    this.policy = {
      maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxRedirects: options.maxRedirects ?? DEFAULT_MAX_REDIRECTS,
      allowPrivate: options.allowPrivateAddresses ?? false,
      userAgent: options.userAgent ?? DEFAULT_USER_AGENT,
    };
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? DEFAULT_CONCURRENCY));
    if (!input.path && !input.urls) throw new TollgateError('input.invalid', 'a URL list needs a file or URLs');
  }

  describe(): string {
    const guard = this.policy.allowPrivate ? ', private addresses ALLOWED' : '';
    return this.input.path
      ? `URL list ${this.input.path} (${this.concurrency} at a time${guard})`
      : `${this.input.urls?.length ?? 0} URL(s) (${this.concurrency} at a time${guard})`;
  }

  async total(): Promise<number> {
    let count = 0;
    for await (const e of this.entries()) if (e) count++;
    return count;
  }

  private async *entries(): AsyncGenerator<ListEntry | undefined> {
    const seen = new Set<string>();
    const lines = this.input.path ? readLines(this.input.path) : fromArray(this.input.urls ?? []);
    try {
      for await (const { line, n } of lines) {
        const e = parseEntry(line, n);
        if (e === undefined || e === 'header') continue;
        // A URL listed twice is one bank entry; a second download would only duplicate the key.
        if (seen.has(e.url)) continue;
        seen.add(e.url);
        yield e;
      }
    } catch (err) {
      if (err instanceof TollgateError) throw err;
      throw new TollgateError('input.invalid', `cannot read URL list ${this.input.path}: ${String(err)}`, undefined, { cause: err });
    }
  }

  private async fetchEntry(e: ListEntry, signal: AbortSignal | undefined): Promise<BankItem> {
    if (e.problem) return { kind: 'skipped', key: e.url, reason: e.problem };
    const r = await downloadMedia(e.url, this.policy, signal);
    if (!r.ok) return { kind: 'skipped', key: e.url, reason: r.reason, sourceUrl: e.url };
    const item: BankItem = { kind: 'media', key: e.url, bytes: r.bytes, sourceUrl: e.url, mime: r.mime };
    if (e.label !== undefined) item.name = e.label;
    return item;
  }

  async *items(options: { signal?: AbortSignal; skipKeys?: ReadonlySet<string> } = {}): AsyncIterable<BankItem> {
    const { signal, skipKeys } = options;
    signal?.throwIfAborted();
    // Our own stop, so downloads still running when the consumer breaks off are cancelled, not left to time out.
    const stop = new AbortController();
    const fetchSignal = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
    const source = this.entries();
    const inFlight = new Map<number, Promise<{ id: number; item: BankItem }>>();
    let nextId = 0;
    let exhausted = false;
    try {
      for (;;) {
        while (!exhausted && inFlight.size < this.concurrency) {
          const step = await source.next();
          if (step.done) {
            exhausted = true;
            break;
          }
          const e = step.value;
          if (!e || skipKeys?.has(e.url)) continue;
          const id = nextId++;
          inFlight.set(
            id,
            this.fetchEntry(e, fetchSignal).then((item) => ({ id, item })),
          );
        }
        if (inFlight.size === 0) return;
        const done = await Promise.race(inFlight.values());
        inFlight.delete(done.id);
        signal?.throwIfAborted();
        yield done.item;
      }
    } finally {
      // Abandoned downloads (consumer stopped or aborted) must not reject unobserved.
      for (const p of inFlight.values()) p.catch(() => undefined);
      stop.abort();
      await source.return(undefined);
    }
  }
}

async function* fromArray(urls: readonly string[]): AsyncGenerator<{ line: string; n: number }> {
  let n = 0;
  for (const line of urls) yield { line, n: ++n };
}
