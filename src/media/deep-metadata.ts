/**
 * Deep metadata reads through ExifTool (exiftool-vendored): maker notes, XMP history, IPTC, the JPEG
 * quantization digest, embedded thumbnails and previews, and ExifTool's own validation warnings.
 *
 * ExifTool costs tens of milliseconds per file and a Perl process, so it is not on the hot path: the
 * pipeline asks for a deep read only when the hot-path checks found something or the configuration says so
 * (see src/pipeline/deep.ts), and hands the result to the deep detectors through `DetectorContext.deep`.
 * One long-lived ExifTool process per worker process (`-stay_open`), with a per-file timeout; a crash or a
 * hang of ExifTool becomes `error` in the result, never an exception.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExifTool } from 'exiftool-vendored';

export interface DeepMetadata {
  /** Every tag ExifTool reads, grouped by its family-1 group (IFD0, ExifIFD, GPS, XMP-xmp, IPTC, Canon, …). */
  groups: Record<string, Record<string, unknown>>;
  /** ExifTool's identification of the quantization tables and its quality estimate (JPEG only). */
  quantization?: { digest?: string; quality?: number };
  /** Embedded images (thumbnail, previews), by tag, with their sizes in bytes. */
  embedded: Record<string, number>;
  /** `-validate` findings: ExifTool's warnings about the structure. */
  warnings: string[];
  /** Set when ExifTool failed or timed out; the other fields are then empty. */
  error?: string;
  ms: number;
}

/** Groups that describe the copy on disk or ExifTool itself, not the file's own metadata. */
const SKIP_GROUPS = new Set(['System', 'ExifTool', 'SourceFile']);
const MAX_VALUE_CHARS = 500;
const MAX_TAGS = 2000;
const BINARY = /^\(Binary data (\d+) bytes/;

export interface DeepReaderOptions {
  /** Per-file ExifTool timeout. */
  timeoutMs?: number;
}

/** One pooled ExifTool process; create one per worker process and `close()` it on shutdown. */
export class DeepMetadataReader {
  private exiftool: ExifTool | undefined;
  private readonly timeoutMs: number;

  constructor(options: DeepReaderOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  private tool(): ExifTool {
    // Started on first use: most processes (the API, `inspect` on a clean photo) never need it.
    this.exiftool ??= new ExifTool({ maxProcs: 1, taskTimeoutMillis: this.timeoutMs, maxTasksPerProcess: 5_000 });
    return this.exiftool;
  }

  async read(bytes: Buffer, extension = 'jpg'): Promise<DeepMetadata> {
    const started = performance.now();
    // ExifTool reads files, not stdin, through the stay-open protocol; a private directory keeps names unique.
    const dir = await mkdtemp(join(tmpdir(), 'tollgate-deep-'));
    const file = join(dir, `upload.${extension.replace(/[^a-z0-9]/gi, '') || 'bin'}`);
    try {
      await writeFile(file, bytes);
      const raw = await this.tool().readRaw(file, { readArgs: ['-G1:4', '-a', '-validate', '-warning', '-error', '-JPEGDigest', '-JPEGQualityEstimate', '-all'] });
      return { ...group(raw as unknown as Record<string, unknown>), ms: elapsed(started) };
    } catch (thrown) {
      return { groups: {}, embedded: {}, warnings: [], error: thrown instanceof Error ? thrown.message.split('\n')[0] ?? 'exiftool failed' : String(thrown), ms: elapsed(started) };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Ends the ExifTool process. Safe to call twice; a later read starts a new one. */
  async close(): Promise<void> {
    const tool = this.exiftool;
    this.exiftool = undefined;
    if (tool) await tool.end();
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}

/** Splits ExifTool's "Group:Tag" keys into groups and pulls out the parts the checks read. */
export function group(raw: Record<string, unknown>): Omit<DeepMetadata, 'ms'> {
  const groups: Record<string, Record<string, unknown>> = {};
  const embedded: Record<string, number> = {};
  const warnings: string[] = [];
  let quantization: DeepMetadata['quantization'];
  let count = 0;
  for (const [key, value] of Object.entries(raw)) {
    // "-G1:4" keys are Group:Tag, and Group:CopyN:Tag for the Nth duplicate (JSON keeps only unique keys).
    const parts = key.split(':');
    const g = parts[0] ?? key;
    // Copy numbers count duplicates across the whole file, so they only name a tag that its group already has.
    const bare = parts.length >= 2 ? (parts[parts.length - 1] ?? key) : key;
    const tag = parts.length === 3 && groups[g]?.[bare] !== undefined ? `${bare} (${parts[1]})` : bare;
    // -validate reports "ExifTool:Validate" (a summary) and one "ExifTool:Warning…" per problem found.
    if (/^(Warning|Error)/.test(tag) && typeof value === 'string') warnings.push(value);
    // exiftool-vendored adds its own `errors`/`warnings` arrays (parse problems it met in ExifTool's output).
    if ((key === 'errors' || key === 'warnings') && Array.isArray(value)) {
      warnings.push(...value.filter((v): v is string => typeof v === 'string'));
      continue;
    }
    if (SKIP_GROUPS.has(g) || count >= MAX_TAGS) continue;
    if (tag === 'JPEGDigest' && typeof value === 'string') quantization = { ...quantization, digest: value };
    if (tag === 'JPEGQualityEstimate' && typeof value === 'number') quantization = { ...quantization, quality: value };
    const binary = typeof value === 'string' ? BINARY.exec(value) : null;
    if (binary && /Thumbnail|Preview|JpgFromRaw|OtherImage|EmbeddedImage/i.test(tag)) embedded[`${g}:${tag}`] = Number(binary[1]);
    (groups[g] ??= {})[tag] = typeof value === 'string' && value.length > MAX_VALUE_CHARS ? `${value.slice(0, MAX_VALUE_CHARS)}…` : value;
    count++;
  }
  return { groups, embedded, warnings, ...(quantization ? { quantization } : {}) };
}
