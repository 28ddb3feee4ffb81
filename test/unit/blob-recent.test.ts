import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  blobKeyForSha256,
  createBlobStore,
  DEFAULT_RECENT_BLOBS,
  FsBlobStore,
  RecentBlobs,
  S3BlobStore,
  sha256Hex,
  withRecentBlobs,
  type BlobStat,
  type BlobStore,
  type PutResult,
  type PutStreamOptions,
} from '../../src/blobs/index.ts';
import { describeConfig, loadConfig } from '../../src/config/index.ts';
import { isTollgateError, TollgateError } from '../../src/errors.ts';

const KB = 1024;
const MIB = 1024 * 1024;

/** An in-memory BlobStore that counts calls and can be told to fail. */
class CountingStore implements BlobStore {
  readonly kind = 'fake';
  readonly blobs = new Map<string, Buffer>();
  calls = { put: 0, putStream: 0, get: 0, stat: 0, has: 0, delete: 0 };
  /** Thrown by the next put/putStream after it has read everything. */
  failNext: Error | undefined;
  /** When set, puts wait for it before answering. */
  gate: Promise<void> | undefined;

  async put(bytes: Buffer): Promise<PutResult> {
    this.calls.put++;
    return this.store(Buffer.from(bytes));
  }

  async putStream(stream: Readable | AsyncIterable<Uint8Array>, options: PutStreamOptions = {}): Promise<PutResult> {
    this.calls.putStream++;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of stream) {
      size += chunk.length;
      if (options.maxBytes !== undefined && size > options.maxBytes) throw new TollgateError('blob.error', 'too large', { reason: 'too_large' });
      chunks.push(Buffer.from(chunk)); // a copy, as a file write would be
    }
    return this.store(Buffer.concat(chunks));
  }

  private async store(bytes: Buffer): Promise<PutResult> {
    if (this.gate) await this.gate;
    if (this.failNext) {
      const error = this.failNext;
      this.failNext = undefined;
      throw error;
    }
    const sha256 = sha256Hex(bytes);
    const key = blobKeyForSha256(sha256);
    const created = !this.blobs.has(key);
    this.blobs.set(key, bytes);
    return { key, sha256, bytes: bytes.length, created };
  }

  async get(key: string): Promise<Buffer> {
    this.calls.get++;
    const bytes = this.blobs.get(key);
    if (!bytes) throw new TollgateError('blob.not_found', `no blob ${key}`, { key });
    return Buffer.from(bytes);
  }

  async stat(key: string): Promise<BlobStat | null> {
    this.calls.stat++;
    const bytes = this.blobs.get(key);
    return bytes ? { bytes: bytes.length } : null;
  }

  async has(key: string): Promise<boolean> {
    this.calls.has++;
    return this.blobs.has(key);
  }

  async delete(key: string): Promise<boolean> {
    this.calls.delete++;
    return this.blobs.delete(key);
  }
}

function chunked(bytes: Buffer, size = 16 * KB): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return isTollgateError(error) ? error.code : `not a TollgateError: ${String(error)}`;
  }
}


const recentOf = (store: BlobStore): RecentBlobs | undefined => (store instanceof RecentBlobs ? store : undefined);

describe('RecentBlobs hand-off', () => {
  it('hands a streamed blob to the first get without reading the inner store, then delegates', async () => {
    const inner = new CountingStore();
    const recent = new RecentBlobs(inner, { maxBytes: MIB, maxEntryBytes: 256 * KB });
    const bytes = randomBytes(80 * KB);
    const stored = await recent.putStream(Readable.from(chunked(bytes)));
    expect(stored).toEqual({ key: blobKeyForSha256(sha256Hex(bytes)), sha256: sha256Hex(bytes), bytes: 80 * KB, created: true });
    expect(inner.blobs.get(stored.key)!.equals(bytes)).toBe(true);
    expect(recent.held).toEqual({ bytes: 80 * KB, entries: 1 });

    expect(await recent.stat(stored.key)).toEqual({ bytes: 80 * KB });
    expect(await recent.has(stored.key)).toBe(true);
    expect(inner.calls.stat + inner.calls.has).toBe(0);

    const first = await recent.get(stored.key);
    expect(first.equals(bytes)).toBe(true);
    expect(inner.calls.get).toBe(0);
    // Consumed: the entry is gone and the next reader goes to the inner store.
    expect(recent.held).toEqual({ bytes: 0, entries: 0 });
    const second = await recent.get(stored.key);
    expect(second.equals(bytes)).toBe(true);
    expect(inner.calls.get).toBe(1);
  });

  it('hands over put() bytes as a private copy of the caller buffer', async () => {
    const inner = new CountingStore();
    const recent = new RecentBlobs(inner, { maxBytes: MIB, maxEntryBytes: 256 * KB });
    const bytes = randomBytes(10 * KB);
    const original = Buffer.from(bytes);
    const stored = await recent.put(bytes);
    bytes.fill(0); // the caller reuses its buffer
    const got = await recent.get(stored.key);
    expect(Buffer.compare(got, original)).toBe(0);
    expect(inner.calls.get).toBe(0);
  });

  it('keeps a copy of the streamed bytes, not the chunks the producer may reuse afterwards', async () => {
    const inner = new CountingStore();
    const recent = new RecentBlobs(inner, { maxBytes: MIB, maxEntryBytes: 256 * KB });
    for (const parts of [[randomBytes(8 * KB), randomBytes(8 * KB), randomBytes(8 * KB)], [randomBytes(8 * KB)]]) {
      const expected = Buffer.concat(parts);
      // A Uint8Array chunk too: the interface allows any byte view.
      const stored = await recent.putStream(Readable.from(parts.map((p, i) => (i === 0 ? new Uint8Array(p.buffer, p.byteOffset, p.byteLength) : p))));
      expect(stored.sha256).toBe(sha256Hex(expected));
      for (const part of parts) part.fill(0xff); // the producer reuses its buffers once the put has returned
      const got = await recent.get(stored.key);
      expect(Buffer.compare(got, expected)).toBe(0);
    }
    expect(inner.calls.get).toBe(0);
  });

  it('evicts the least recently stored entries once the total passes maxBytes', async () => {
    const inner = new CountingStore();
    const recent = new RecentBlobs(inner, { maxBytes: 250 * KB, maxEntryBytes: 100 * KB });
    const [a, b, c, d] = [0, 1, 2, 3].map(() => randomBytes(100 * KB)) as [Buffer, Buffer, Buffer, Buffer];
    const ka = (await recent.putStream(Readable.from(chunked(a)))).key;
    const kb = (await recent.put(b)).key;
    expect(recent.held).toEqual({ bytes: 200 * KB, entries: 2 });
    // Storing `a` again makes it the most recently stored, so `b` is the one to go next.
    expect((await recent.put(a)).created).toBe(false);
    const kc = (await recent.put(c)).key;
    expect(recent.held).toEqual({ bytes: 200 * KB, entries: 2 });
    expect(await recent.stat(kb)).toEqual({ bytes: 100 * KB }); // answered by the inner store
    expect(inner.calls.stat).toBe(1);

    expect((await recent.get(kb)).equals(b)).toBe(true);
    expect(inner.calls.get).toBe(1);
    expect((await recent.get(ka)).equals(a)).toBe(true);
    expect((await recent.get(kc)).equals(c)).toBe(true);
    expect(inner.calls.get).toBe(1);

    // Eviction also runs after consumption freed room: one new entry fits without evicting anything.
    const kd = (await recent.put(d)).key;
    expect(recent.held).toEqual({ bytes: 100 * KB, entries: 1 });
    expect((await recent.get(kd)).equals(d)).toBe(true);
    expect(inner.calls.get).toBe(1);
  });

  it('stores but never holds a blob above the per-entry limit, streamed or put', async () => {
    const inner = new CountingStore();
    const recent = new RecentBlobs(inner, { maxBytes: MIB, maxEntryBytes: 128 * KB });
    const big = randomBytes(128 * KB + 1);
    const streamed = await recent.putStream(Readable.from(chunked(big, 64 * KB)));
    expect(streamed.bytes).toBe(128 * KB + 1);
    expect(inner.blobs.get(streamed.key)!.equals(big)).toBe(true);
    expect(recent.held).toEqual({ bytes: 0, entries: 0 });
    expect((await recent.get(streamed.key)).equals(big)).toBe(true);
    expect(inner.calls.get).toBe(1);

    const alsoBig = randomBytes(200 * KB);
    await recent.put(alsoBig);
    expect(recent.held).toEqual({ bytes: 0, entries: 0 });

    const justFits = randomBytes(128 * KB);
    const kept = await recent.putStream(Readable.from(chunked(justFits, 64 * KB)));
    expect(recent.held).toEqual({ bytes: 128 * KB, entries: 1 });
    expect((await recent.get(kept.key)).equals(justFits)).toBe(true);
    expect(inner.calls.get).toBe(1);
  });

  it('with the defaults keeps an 8 MiB stream and not one byte more', async () => {
    const inner = new CountingStore();
    const recent = new RecentBlobs(inner, DEFAULT_RECENT_BLOBS);
    expect(DEFAULT_RECENT_BLOBS).toEqual({ maxBytes: 64 * MIB, maxEntryBytes: 8 * MIB });
    const exact = randomBytes(8 * MIB);
    const a = await recent.putStream(Readable.from(chunked(exact, 64 * KB)));
    expect(recent.held.bytes).toBe(8 * MIB);
    const over = Buffer.concat([exact, Buffer.from([1])]);
    await recent.putStream(Readable.from(chunked(over, 64 * KB)));
    expect(recent.held).toEqual({ bytes: 8 * MIB, entries: 1 });
    // Buffer.compare: a deep toEqual over megabytes takes minutes.
    expect(Buffer.compare(await recent.get(a.key), exact)).toBe(0);
    expect(inner.calls.get).toBe(0);
  });

  it('keeps nothing when the inner put fails, after reading the whole stream or part of it', async () => {
    const inner = new CountingStore();
    const recent = new RecentBlobs(inner, { maxBytes: MIB, maxEntryBytes: 256 * KB });
    const bytes = randomBytes(40 * KB);
    const key = blobKeyForSha256(sha256Hex(bytes));

    inner.failNext = new TollgateError('blob.error', 'fsync failed');
    expect(await codeOf(recent.putStream(Readable.from(chunked(bytes))))).toBe('blob.error');
    inner.failNext = new TollgateError('blob.error', 'disk full');
    expect(await codeOf(recent.put(bytes))).toBe('blob.error');
    expect(await codeOf(recent.putStream(Readable.from(chunked(bytes)), { maxBytes: 20 * KB }))).toBe('blob.error');
    const broken = (async function* () {
      yield bytes.subarray(0, 16 * KB);
      throw new Error('client went away');
    })();
    expect(await recent.putStream(broken).then(() => 'resolved', (error: Error) => error.message)).toBe('client went away');

    expect(recent.held).toEqual({ bytes: 0, entries: 0 });
    expect(await recent.has(key)).toBe(false);
    expect(await codeOf(recent.get(key))).toBe('blob.not_found');
    expect(inner.calls.get).toBe(1);
  });

  it('delete drops the entry and deletes the blob', async () => {
    const inner = new CountingStore();
    const recent = new RecentBlobs(inner, { maxBytes: MIB, maxEntryBytes: 256 * KB });
    const stored = await recent.putStream(Readable.from([randomBytes(30 * KB)]));
    expect(recent.held.entries).toBe(1);
    expect(await recent.delete(stored.key)).toBe(true);
    expect(recent.held).toEqual({ bytes: 0, entries: 0 });
    expect(inner.calls.delete).toBe(1);
    expect(await recent.has(stored.key)).toBe(false);
    expect(await recent.stat(stored.key)).toBeNull();
    expect(await codeOf(recent.get(stored.key))).toBe('blob.not_found');
  });

  it('keeps nothing for a put that overlapped a delete', async () => {
    const inner = new CountingStore();
    const recent = new RecentBlobs(inner, { maxBytes: MIB, maxEntryBytes: 256 * KB });
    const bytes = randomBytes(20 * KB);
    let open!: () => void;
    inner.gate = new Promise<void>((resolve) => (open = resolve));
    const putting = recent.put(bytes);
    await recent.delete(blobKeyForSha256(sha256Hex(bytes)));
    open();
    const stored = await putting;
    expect(stored.created).toBe(true);
    expect(recent.held).toEqual({ bytes: 0, entries: 0 });
  });

  it('passes straight through when disabled (0)', async () => {
    const inner = new CountingStore();
    expect(withRecentBlobs(inner, { maxBytes: 0, maxEntryBytes: 8 * MIB })).toBe(inner);
    expect(withRecentBlobs(inner, { maxBytes: 64 * MIB, maxEntryBytes: 0 })).toBe(inner);

    const recent = new RecentBlobs(inner, { maxBytes: 0, maxEntryBytes: 8 * MIB });
    const stored = await recent.putStream(Readable.from([randomBytes(10 * KB)]));
    await recent.put(randomBytes(10 * KB));
    expect(recent.held).toEqual({ bytes: 0, entries: 0 });
    await recent.get(stored.key);
    expect(inner.calls.get).toBe(1);
  });
});

describe('withRecentBlobs over FsBlobStore and S3BlobStore', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tollgate-recent-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the worker from memory: the file can be gone and get still answers, once', async () => {
    const fs = new FsBlobStore(dir);
    const store = withRecentBlobs(fs, { maxBytes: 4 * MIB, maxEntryBytes: MIB });
    expect(store).toBeInstanceOf(RecentBlobs);
    expect(store.kind).toBe('fs');
    const bytes = randomBytes(80 * KB);
    const stored = await store.putStream(Readable.from(chunked(bytes)), { maxBytes: MIB });
    expect(stored.created).toBe(true);
    // The blob is on disk.
    expect((await fs.get(stored.key)).equals(bytes)).toBe(true);
    await unlink(fs.pathFor(stored.key));
    expect((await store.get(stored.key)).equals(bytes)).toBe(true); // no disk read
    expect(await codeOf(store.get(stored.key))).toBe('blob.not_found'); // consumed; the disk answers now
    expect(recentOf(store)?.held).toEqual({ bytes: 0, entries: 0 });
  });

  it('passes reads of objects clients put in the bucket (object_key uploads) to an S3 store, and has none over the filesystem', () => {
    const s3 = new S3BlobStore({ bucket: 'b', endpoint: 'http://127.0.0.1:1', region: 'us-east-1', accessKeyId: 'a', secretAccessKey: 'b', forcePathStyle: true });
    const store = withRecentBlobs(s3, DEFAULT_RECENT_BLOBS);
    expect(store).toBeInstanceOf(RecentBlobs);
    expect(typeof store.readObject).toBe('function');
    expect(withRecentBlobs(new FsBlobStore(dir), DEFAULT_RECENT_BLOBS).readObject).toBeUndefined();
  });

  it('createBlobStore wraps with the configured hand-off, and not at all when it is 0', async () => {
    const config = loadConfig({ env: { TOLLGATE_DATA_DIR: dir }, cwd: dir });
    expect(config.blobHandoff).toEqual({ maxBytes: 64 * MIB, maxEntryBytes: 8 * MIB });
    const store = createBlobStore(config.blobs, config.blobHandoff);
    expect(recentOf(store)).toBeInstanceOf(RecentBlobs);
    const bytes = randomBytes(5 * KB);
    const stored = await store.put(bytes);
    expect(recentOf(store)?.held).toEqual({ bytes: 5 * KB, entries: 1 });
    expect((await store.get(stored.key)).equals(bytes)).toBe(true);

    const off = loadConfig({ env: { TOLLGATE_DATA_DIR: dir, TOLLGATE_BLOB_HANDOFF_MB: '0' }, cwd: dir });
    expect(off.blobHandoff).toEqual({ maxBytes: 0, maxEntryBytes: 8 * MIB });
    const plain = createBlobStore(off.blobs, off.blobHandoff);
    expect(recentOf(plain)).toBeUndefined();
    expect(describeConfig(off)).toMatch(/^blob hand-off +off {2}\[env\]$/m);
  });
});

describe('blob hand-off settings', () => {
  it('reads both limits in MiB from the environment and describes them', () => {
    const c = loadConfig({ env: { TOLLGATE_BLOB_HANDOFF_MB: '16', TOLLGATE_BLOB_HANDOFF_ENTRY_MB: '2' }, cwd: '/srv' });
    expect(c.blobHandoff).toEqual({ maxBytes: 16 * MIB, maxEntryBytes: 2 * MIB });
    expect(describeConfig(c)).toMatch(/^blob hand-off +maxBytes=16 MiB maxEntryBytes=2 MiB {2}\[env\]$/m);
    expect(describeConfig(loadConfig({ env: {}, cwd: '/srv' }))).toMatch(/^blob hand-off +maxBytes=64 MiB maxEntryBytes=8 MiB$/m);
  });

  it('rejects a negative or fractional size, naming the variable', () => {
    for (const value of ['-1', '1.5', 'lots']) {
      expect(() => loadConfig({ env: { TOLLGATE_BLOB_HANDOFF_MB: value }, cwd: '/srv' })).toThrow(/TOLLGATE_BLOB_HANDOFF_MB must be an integer number of MiB 0\.\.65536/);
    }
  });
});
