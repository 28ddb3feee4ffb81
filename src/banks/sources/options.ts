/**
 * Options shared by every bank source. One object so the CLI and HTTP layers can pass their flags through
 * without knowing which source the spec turns out to be.
 */
export interface BankSourceOptions {
  /** Byte limit for one media item (download, folder file, WARC payload). Default 50 MB. */
  maxBytes?: number;
  /** URL lists: downloads in flight at once. Default 8. */
  concurrency?: number;
  /** URL lists: whole-download deadline, every redirect hop included. Default 20 000 ms. */
  timeoutMs?: number;
  /** Redirect hops followed, each one re-checked by the address guard. Default 5. */
  maxRedirects?: number;
  /**
   * Let downloads reach private, loopback, link-local and metadata addresses. Only for tests against a
   * local server: in production this would let a URL list probe the operator's own network.
   */
  allowPrivateAddresses?: boolean;
  /** Sent with every download. */
  userAgent?: string;
  /**
   * WARC: also report responses that are neither declared nor sniffed as media as `skipped`. Off by
   * default because a Common Crawl file is mostly HTML, and a skipped line per page drowns the report.
   */
  reportNonMedia?: boolean;
}

export const DEFAULT_MAX_BYTES = 50 * 1024 * 1024;
export const DEFAULT_CONCURRENCY = 8;
export const DEFAULT_TIMEOUT_MS = 20_000;
export const DEFAULT_MAX_REDIRECTS = 5;
export const DEFAULT_USER_AGENT = 'TollgateBankImporter/0.1 (+https://github.com/tollgate)';
