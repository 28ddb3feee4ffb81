import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, link, rename, stat, unlink, readFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { TollgateError } from '../errors.ts';
import { blobKeyForSha256, normalizeBlobKey, sha256Hex } from './keys.ts';
import type { BlobStat, BlobStore, PutResult, PutStreamOptions } from './types.ts';

function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
}

/** Stream writes are gathered into batches of this size. */
const WRITE_BATCH_BYTES = 1024 * 1024;

async function removeTemp(file: string): Promise<void> {
  await unlink(file).catch(() => undefined);
}

function wrap(error: unknown, action: string, key?: string): TollgateError {
  if (error instanceof TollgateError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new TollgateError('blob.error', `filesystem blob store: ${action} failed: ${message}`, key ? { key } : undefined, { cause: error });
}

/**
 * Blobs as files under `rootDir/sha256/ab/cd/<hex>`.
 *
 * Writes go to `rootDir/tmp/` first, are fsynced, then hard-linked into place: `link` fails with
 * EEXIST when the blob is already there, which makes `created` exact even when two workers store the
 * same bytes at once, and a crash never leaves a half-written file under a content address.
 * `tmp/` sits inside the root so the link/rename never crosses filesystems.
 */
export class FsBlobStore implements BlobStore {
  readonly kind = 'fs';
  readonly rootDir: string;
  private readonly tmpDir: string;
  /** Directories known to exist: creating them again on every write was a syscall storm under load. */
  private readonly knownDirs = new Set<string>();

  constructor(rootDir: string) {
    this.rootDir = path.resolve(rootDir);
    this.tmpDir = path.join(this.rootDir, 'tmp');
  }

  /** Absolute path of a blob; the key is validated so it cannot point outside the root. */
  pathFor(key: string): string {
    return path.join(this.rootDir, ...normalizeBlobKey(key).split('/'));
  }

  async put(bytes: Buffer): Promise<PutResult> {
    const sha256 = sha256Hex(bytes);
    const key = blobKeyForSha256(sha256);
    // Cheap fast path for the common re-upload: no temp file at all.
    if (await this.has(key)) return { key, sha256, bytes: bytes.length, created: false };
    return this.commit(sha256, bytes.length, async (handle) => {
      await handle.writeFile(bytes);
    });
  }

  async putStream(stream: Readable | AsyncIterable<Uint8Array>, options: PutStreamOptions = {}): Promise<PutResult> {
    const hash = createHash('sha256');
    let size = 0;
    let tmp: string | undefined;
    let handle: FileHandle | undefined;
    // Network chunks are small (16–64 KB); one write per chunk costs a thread-pool round trip each.
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    try {
      await this.ensureDir(this.tmpDir);
      tmp = path.join(this.tmpDir, `${randomUUID()}.part`);
      handle = await open(tmp, 'wx');
      for await (const chunk of stream) {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        size += buf.length;
        if (options.maxBytes !== undefined && size > options.maxBytes) {
          throw new TollgateError('blob.error', `stream exceeds ${options.maxBytes} bytes`, { reason: 'too_large', maxBytes: options.maxBytes });
        }
        hash.update(buf);
        pending.push(buf);
        pendingBytes += buf.length;
        if (pendingBytes >= WRITE_BATCH_BYTES) {
          await handle.writev(pending);
          pending = [];
          pendingBytes = 0;
        }
      }
      if (pending.length > 0) await handle.writev(pending);
      await handle.sync();
      await handle.close();
      handle = undefined;
      const sha256 = hash.digest('hex');
      const created = await this.linkInto(tmp, sha256);
      return { key: blobKeyForSha256(sha256), sha256, bytes: size, created };
    } catch (error) {
      throw wrap(error, 'putStream');
    } finally {
      await handle?.close().catch(() => undefined);
      if (tmp) await removeTemp(tmp);
    }
  }

  async get(key: string): Promise<Buffer> {
    const file = this.pathFor(key);
    try {
      return await readFile(file);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') throw new TollgateError('blob.not_found', `no blob ${key}`, { key });
      throw wrap(error, 'get', key);
    }
  }

  async stat(key: string): Promise<BlobStat | null> {
    const file = this.pathFor(key);
    try {
      const s = await stat(file);
      return { bytes: s.size };
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return null;
      throw wrap(error, 'stat', key);
    }
  }

  async has(key: string): Promise<boolean> {
    return (await this.stat(key)) !== null;
  }

  async delete(key: string): Promise<boolean> {
    const file = this.pathFor(key);
    try {
      await unlink(file);
      return true;
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return false;
      throw wrap(error, 'delete', key);
    }
  }

  private async commit(sha256: string, size: number, write: (handle: FileHandle) => Promise<void>): Promise<PutResult> {
    const key = blobKeyForSha256(sha256);
    let tmp: string | undefined;
    try {
      await this.ensureDir(this.tmpDir);
      tmp = path.join(this.tmpDir, `${randomUUID()}.part`);
      const handle = await open(tmp, 'wx');
      try {
        await write(handle);
        // Without fsync a power cut after the link could leave an empty file under a valid key.
        await handle.sync();
      } finally {
        await handle.close();
      }
      const created = await this.linkInto(tmp, sha256);
      return { key, sha256, bytes: size, created };
    } catch (error) {
      throw wrap(error, 'put', key);
    } finally {
      if (tmp) await removeTemp(tmp);
    }
  }

  private async ensureDir(dir: string): Promise<void> {
    if (this.knownDirs.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.knownDirs.add(dir);
  }

  /** Moves a finished temp file to its content address; returns false when the blob already existed. */
  private async linkInto(tmp: string, sha256: string, retried = false): Promise<boolean> {
    const final = this.pathFor(blobKeyForSha256(sha256));
    await this.ensureDir(path.dirname(final));
    try {
      await link(tmp, final);
      return true;
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'EEXIST') return false;
      if (code === 'ENOENT' && !retried) {
        // A directory we remembered was removed behind our back (an operator cleaning up): recreate it once.
        this.knownDirs.clear();
        return this.linkInto(tmp, sha256, true);
      }
      // Some filesystems (FAT, certain network mounts) have no hard links: rename is still atomic,
      // it just cannot tell us whether we were first.
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
        const existed = await stat(final).then(() => true, () => false);
        await rename(tmp, final);
        return !existed;
      }
      throw error;
    }
  }
}
