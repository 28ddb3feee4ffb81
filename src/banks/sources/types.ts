/**
 * What a bank import reads: media files (hashed by the importer) or ready-made hashes.
 * Every item has a stable `key` within its source, so an interrupted import resumes by skipping
 * the keys it already recorded.
 */
export type BankItem =
  | {
      kind: 'media';
      key: string;
      bytes: Buffer;
      sourceUrl?: string;
      name?: string;
      /** The type sniffed from the bytes (never from a file name or Content-Type), e.g. `image/jpeg`. */
      mime?: string;
    }
  | { kind: 'hash'; key: string; pdq: string; quality?: number; source?: string }
  /** A source entry that could not be read (download refused, not media, truncated record): reported, never fatal. */
  | { kind: 'skipped'; key: string; reason: string; sourceUrl?: string };

export interface BankSource {
  /** Human description for progress lines, e.g. `folder ./refs (1 203 files)`. */
  describe(): string;
  /** Total items if known up front (folders, URL lists, CSV), for a progress bar. */
  total?(): Promise<number | undefined>;
  items(options: { signal?: AbortSignal; skipKeys?: ReadonlySet<string> }): AsyncIterable<BankItem>;
}
