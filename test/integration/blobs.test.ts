import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { isTollgateError } from '../../src/errors.ts';
import { blobKeyForSha256, FsBlobStore, normalizeBlobKey, parseBlobKey, S3BlobStore, sha256Hex, type BlobStore } from '../../src/blobs/index.ts';
import { startS3rver } from '../support/s3rver.ts';

function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  return promise.then(
    () => expect.fail(`expected ${code}`),
    (error: unknown) => {
      expect(isTollgateError(error)).toBe(true);
      if (isTollgateError(error)) expect(error.code).toBe(code);
    },
  );
}

interface Harness {
  store: () => BlobStore;
}

/** The contract every BlobStore must meet; run against each implementation below. */
function contract(name: string, h: Harness): void {
  describe(`${name}: BlobStore contract`, () => {
    it('puts and gets bytes under sha256/ab/cd/<hex>', async () => {
      const bytes = randomBytes(1000);
      const sha = sha256Hex(bytes);
      const res = await h.store().put(bytes);
      expect(res).toEqual({ key: `sha256/${sha.slice(0, 2)}/${sha.slice(2, 4)}/${sha}`, sha256: sha, bytes: 1000, created: true });
      expect((await h.store().get(res.key)).equals(bytes)).toBe(true);
      expect(await h.store().stat(res.key)).toEqual({ bytes: 1000 });
      expect(await h.store().has(res.key)).toBe(true);
    });

    it('is idempotent: the same bytes twice is a no-op', async () => {
      const bytes = randomBytes(333);
      const a = await h.store().put(bytes);
      const b = await h.store().put(Buffer.from(bytes));
      expect(a.created).toBe(true);
      expect(b).toEqual({ ...a, created: false });
    });

    it('concurrent puts of the same bytes create it exactly once (fs) or at least agree on the key', async () => {
      const bytes = randomBytes(50_000);
      const results = await Promise.all([1, 2, 3, 4].map(() => h.store().put(bytes)));
      expect(new Set(results.map((r) => r.key)).size).toBe(1);
      expect(results.filter((r) => r.created).length).toBeGreaterThanOrEqual(1);
      expect((await h.store().get(results[0]!.key)).equals(bytes)).toBe(true);
    });

    it('stores the empty blob', async () => {
      const res = await h.store().put(Buffer.alloc(0));
      expect(res.sha256).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
      expect((await h.store().get(res.key)).length).toBe(0);
    });

    it('putStream hashes while storing and matches put', async () => {
      const bytes = randomBytes(300_000);
      const chunks = [bytes.subarray(0, 1), bytes.subarray(1, 65_537), bytes.subarray(65_537)];
      const res = await h.store().putStream(Readable.from(chunks));
      expect(res.sha256).toBe(sha256Hex(bytes));
      expect(res.bytes).toBe(bytes.length);
      expect(res.created).toBe(true);
      expect((await h.store().get(res.key)).equals(bytes)).toBe(true);
      const again = await h.store().putStream(Readable.from([bytes]));
      expect(again.created).toBe(false);
    });

    it('putStream enforces maxBytes and stores nothing', async () => {
      const bytes = randomBytes(10_000);
      await expectCode(h.store().putStream(Readable.from([bytes]), { maxBytes: 9_999 }), 'blob.error');
      expect(await h.store().has(blobKeyForSha256(sha256Hex(bytes)))).toBe(false);
    });

    it('accepts a bare sha256 hex in place of the key', async () => {
      const res = await h.store().put(randomBytes(10));
      expect((await h.store().get(res.sha256)).length).toBe(10);
      expect(await h.store().has(res.sha256.toUpperCase())).toBe(true);
    });

    it('reports absent blobs: blob.not_found on get, null on stat, false on has/delete', async () => {
      const key = blobKeyForSha256(sha256Hex(randomBytes(8)));
      await expectCode(h.store().get(key), 'blob.not_found');
      expect(await h.store().stat(key)).toBeNull();
      expect(await h.store().has(key)).toBe(false);
      expect(await h.store().delete(key)).toBe(false);
    });

    it('deletes, and a deleted blob can be stored again', async () => {
      const bytes = randomBytes(64);
      const res = await h.store().put(bytes);
      expect(await h.store().delete(res.key)).toBe(true);
      expect(await h.store().has(res.key)).toBe(false);
      await expectCode(h.store().get(res.key), 'blob.not_found');
      expect((await h.store().put(bytes)).created).toBe(true);
    });

    it('rejects malformed and path-traversing keys with blob.error', async () => {
      for (const bad of ['../../etc/passwd', 'sha256/00/00/../../x', 'sha256/ab/cd/' + 'ab'.repeat(32), '', 'sha256/zz']) {
        await expectCode(h.store().get(bad), 'blob.error');
      }
    });
  });
}

describe('blob keys', () => {
  it('round-trips and checks the fan-out prefix', () => {
    const sha = sha256Hex(Buffer.from('x'));
    const key = blobKeyForSha256(sha);
    expect(parseBlobKey(key)).toBe(sha);
    expect(normalizeBlobKey(sha)).toBe(key);
    expect(parseBlobKey(`sha256/00/00/${sha}`)).toBeNull();
  });
});

describe('FsBlobStore', () => {
  let dir = '';
  let store: FsBlobStore;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tollgate-blobs-'));
    store = new FsBlobStore(dir);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  contract('fs', { store: () => store });

  it('leaves no temp files behind, also after a failed stream', async () => {
    await store.put(randomBytes(100));
    await store.putStream(Readable.from([randomBytes(100)]), { maxBytes: 10 }).catch(() => undefined);
    const failing = (async function* () {
      yield randomBytes(100);
      throw new Error('client went away');
    })();
    await expectCode(store.putStream(failing), 'blob.error');
    expect(await readdir(path.join(dir, 'tmp'))).toEqual([]);
  });

  it('writes a multi-megabyte stream in batches and recreates directories removed behind its back', async () => {
    const chunks = Array.from({ length: 40 }, () => randomBytes(64 * 1024));
    const whole = Buffer.concat(chunks);
    const first = await store.putStream(Readable.from(chunks));
    // Buffer.equals: a deep toEqual over megabytes takes minutes.
    expect((await store.get(first.key)).equals(whole)).toBe(true);
    await rm(path.join(dir, 'sha256'), { recursive: true, force: true });
    const again = await store.put(whole);
    expect(again).toMatchObject({ key: first.key, created: true });
    expect((await store.get(first.key)).equals(whole)).toBe(true);
  });

  it('counts exactly one creation among concurrent puts', async () => {
    const bytes = randomBytes(200_000);
    const results = await Promise.all(Array.from({ length: 8 }, () => store.put(bytes)));
    expect(results.filter((r) => r.created).length).toBe(1);
  });
});

describe('S3BlobStore against s3rver', () => {
  let dir = '';
  let server: { child: ChildProcess; port: number } | undefined;
  let store: S3BlobStore;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tollgate-s3rver-'));
    server = await startS3rver(dir);
    store = new S3BlobStore({
      bucket: 'tollgate-test',
      endpoint: `http://127.0.0.1:${server.port}`,
      region: 'us-east-1',
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      forcePathStyle: true,
    });
    await store.ensureBucket();
    await store.ensureBucket(); // idempotent
  });
  afterAll(async () => {
    store?.close();
    if (server) {
      const exited = new Promise((resolve) => server!.child.once('exit', resolve));
      server.child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  });
  contract('s3', { store: () => store });

  it('getObjectByKey reads an object a client put into the bucket directly', async () => {
    const bytes = randomBytes(2048);
    await store.client.send(new PutObjectCommand({ Bucket: 'tollgate-test', Key: 'incoming/u1/photo.jpg', Body: bytes, ContentType: 'image/jpeg' }));
    const obj = await store.getObjectByKey('incoming/u1/photo.jpg');
    expect(obj.bytes.equals(bytes)).toBe(true);
    expect(obj.contentType).toBe('image/jpeg');
    await expectCode(store.getObjectByKey('incoming/u1/photo.jpg', { maxBytes: 100 }), 'blob.error');
    await expectCode(store.getObjectByKey('incoming/missing.jpg'), 'blob.not_found');
    const stored = await store.put(obj.bytes);
    expect(stored.sha256).toBe(sha256Hex(bytes));
  });

  it('reports an unreachable server as blob.error', async () => {
    const dead = new S3BlobStore({ bucket: 'x', endpoint: 'http://127.0.0.1:1', region: 'us-east-1', accessKeyId: 'a', secretAccessKey: 'b', forcePathStyle: true });
    try {
      await expectCode(dead.get(blobKeyForSha256(sha256Hex(Buffer.from('a')))), 'blob.error');
    } finally {
      dead.close();
    }
  });
});
