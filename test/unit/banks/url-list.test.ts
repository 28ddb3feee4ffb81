import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UrlListSource } from '../../../src/banks/sources/url-list.ts';
import { byKey, collect, HAVE_PHOTOS, photo } from './helpers.ts';

let server: http.Server;
let base: string;
let dir: string;
let requests = 0;
let active = 0;
let maxActive = 0;
const pending = new Set<NodeJS.Timeout>();

function route(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const p = url.pathname;
  const img = /^\/img\/(\w+\.jpg)$/.exec(p);
  if (img?.[1]) {
    // A short delay so concurrent downloads overlap and the in-flight cap is observable.
    const t = setTimeout(() => {
      pending.delete(t);
      res.writeHead(200, { 'content-type': 'image/jpeg' }).end(photo(img[1] ?? ''));
    }, 30);
    pending.add(t);
    return;
  }
  if (p === '/page.html') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<!DOCTYPE html><html><body>' + 'x'.repeat(10_000) + '</body></html>');
  if (p === '/mislabelled.jpg') return void res.writeHead(200, { 'content-type': 'image/jpeg' }).end('<html><script>alert(1)</script></html>');
  if (p === '/r1') return void res.writeHead(302, { location: '/r2' }).end();
  if (p === '/r2') return void res.writeHead(301, { location: `${base}/img/eagle.jpg` }).end();
  if (p.startsWith('/loop/')) return void res.writeHead(302, { location: `/loop/${Number(p.slice(6)) + 1}` }).end();
  if (p === '/to-ftp') return void res.writeHead(302, { location: 'ftp://example.com/a.jpg' }).end();
  if (p === '/big-declared') {
    const bytes = photo('kite.jpg');
    return void res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': bytes.length }).end(bytes);
  }
  if (p === '/big-chunked') {
    // No Content-Length: the limit must be enforced while reading.
    res.writeHead(200, { 'content-type': 'image/jpeg' });
    const bytes = photo('kite.jpg');
    for (let o = 0; o < bytes.length; o += 64 * 1024) res.write(bytes.subarray(o, o + 64 * 1024));
    return void res.end();
  }
  if (p === '/gzip') return void res.writeHead(200, { 'content-type': 'image/jpeg', 'content-encoding': 'gzip' }).end(gzipSync(photo('dog.jpg')));
  if (p === '/slow') {
    res.writeHead(200, { 'content-type': 'image/jpeg' });
    res.write(photo('dog.jpg').subarray(0, 100));
    const t = setTimeout(() => {
      pending.delete(t);
      res.end();
    }, 5_000);
    pending.add(t);
    return;
  }
  res.writeHead(404).end('not found');
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tollgate-urls-'));
  server = http.createServer((req, res) => {
    requests++;
    active++;
    maxActive = Math.max(maxActive, active);
    res.on('close', () => active--);
    route(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const t of pending) clearTimeout(t);
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

async function listFile(name: string, lines: string[]): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, lines.join('\n'));
  return file;
}

describe.skipIf(!HAVE_PHOTOS)('UrlListSource', () => {
  it('downloads images, follows redirects, sniffs types and enforces limits', async () => {
    const file = await listFile('list.txt', [
      '# reference images',
      `${base}/img/dog.jpg`,
      '',
      `${base}/img/giraffe.jpg,Giraffe from the zoo`,
      `${base}/img/dog.jpg`,
      `${base}/page.html`,
      `${base}/mislabelled.jpg`,
      `${base}/r1`,
      `${base}/loop/0`,
      `${base}/to-ftp`,
      `${base}/big-declared`,
      `${base}/big-chunked`,
      `${base}/gzip`,
      `${base}/slow`,
      `${base}/missing`,
      'file:///etc/passwd',
      'not a url',
    ]);
    const src = new UrlListSource({ path: file }, { allowPrivateAddresses: true, maxBytes: 1_000_000, timeoutMs: 800, concurrency: 3 });
    expect(await src.total()).toBe(14);
    const items = byKey(await collect(src));
    expect(items.size).toBe(14);
    const media = (key: string): { bytes: Buffer; name?: string; mime?: string } => {
      const item = items.get(key);
      if (item?.kind !== 'media') throw new Error(`${key}: expected media, got ${JSON.stringify(item)}`);
      return item;
    };
    const reason = (key: string): string => {
      const item = items.get(key);
      if (item?.kind !== 'skipped') throw new Error(`${key}: expected skipped, got ${item?.kind}`);
      return item.reason;
    };
    expect(media(`${base}/img/dog.jpg`).bytes.equals(photo('dog.jpg'))).toBe(true);
    expect(media(`${base}/img/dog.jpg`).mime).toBe('image/jpeg');
    expect(media(`${base}/img/giraffe.jpg`).name).toBe('Giraffe from the zoo');
    expect(media(`${base}/r1`).bytes.equals(photo('eagle.jpg'))).toBe(true);
    expect(media(`${base}/gzip`).bytes.equals(photo('dog.jpg'))).toBe(true);
    expect(reason(`${base}/page.html`)).toMatch(/HTML/);
    expect(reason(`${base}/mislabelled.jpg`)).toMatch(/not media/);
    expect(reason(`${base}/loop/0`)).toMatch(/more than 5 redirects/);
    expect(reason(`${base}/to-ftp`)).toMatch(/scheme ftp: is not http/);
    expect(reason(`${base}/big-declared`)).toMatch(/Content-Length \d+ exceeds/);
    expect(reason(`${base}/big-chunked`)).toMatch(/larger than the 1000000-byte limit/);
    expect(reason(`${base}/slow`)).toMatch(/timed out after 800 ms/);
    expect(reason(`${base}/missing`)).toMatch(/HTTP 404/);
    expect(reason('file:///etc/passwd')).toMatch(/line 16: scheme file:/);
    expect(reason('line:17')).toMatch(/not a URL/);
    expect(maxActive).toBeLessThanOrEqual(3);
  });

  it('refuses 127.0.0.1 without allowPrivateAddresses and never connects', async () => {
    const before = requests;
    const url = `${base}/img/dog.jpg`;
    const items = await collect(new UrlListSource({ urls: [url, `http://localhost:${new URL(base).port}/img/dog.jpg`] }));
    expect(items).toHaveLength(2);
    for (const item of items) {
      expect(item.kind).toBe('skipped');
      if (item.kind === 'skipped') expect(item.reason).toMatch(/loopback address .*private addresses are not allowed/);
    }
    expect(requests).toBe(before);
    const allowed = await collect(new UrlListSource({ urls: [url] }, { allowPrivateAddresses: true }));
    expect(allowed[0]?.kind).toBe('media');
  });

  it('honours skipKeys and abort', async () => {
    const urls = ['dog', 'eagle', 'horses', 'person'].map((n) => `${base}/img/${n}.jpg`);
    const resumed = await collect(new UrlListSource({ urls }, { allowPrivateAddresses: true }), { skipKeys: new Set(urls.slice(0, 3)) });
    expect(resumed.map((i) => i.key)).toEqual([urls[3]]);

    const ctrl = new AbortController();
    const src = new UrlListSource({ urls }, { allowPrivateAddresses: true, concurrency: 1 });
    let got = 0;
    await expect(
      (async () => {
        for await (const _ of src.items({ signal: ctrl.signal })) {
          got++;
          ctrl.abort();
        }
      })(),
    ).rejects.toThrow();
    expect(got).toBe(1);
  });
});
