import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FolderSource, HashCsvSource, openBankSource, UrlListSource, WarcSource } from '../../../src/banks/sources/index.ts';
import { collect, HAVE_PHOTOS, photo } from './helpers.ts';

let dir: string;
let server: http.Server;
let base: string;
let warcGz: Buffer;

function warcRecord(): Buffer {
  const body = photo('dog.jpg');
  const block = Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n'), body]);
  const head = `WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:1>\r\nWARC-Target-URI: https://example.com/d\r\nContent-Length: ${block.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head), block, Buffer.from('\r\n\r\n')]);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tollgate-open-'));
  warcGz = HAVE_PHOTOS ? gzipSync(warcRecord()) : Buffer.alloc(0);
  server = http.createServer((req, res) => {
    if (req.url === '/crawl.warc.gz') return void res.writeHead(200).end(warcGz);
    if (req.url === '/one.jpg') return void res.writeHead(200).end(photo('dog.jpg'));
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!HAVE_PHOTOS)('openBankSource', () => {
  it('chooses the source from what the spec is', async () => {
    const f = (name: string): string => path.join(dir, name);
    await mkdir(f('folder'));
    await writeFile(f('a.warc'), warcRecord());
    await writeFile(f('a.warc.gz'), gzipSync(warcRecord()));
    await writeFile(f('renamed.bin'), gzipSync(warcRecord()));
    await writeFile(f('h.csv'), `${'ab'.repeat(32)},x\n`);
    await writeFile(f('u.txt'), 'https://example.com/a.jpg\n');
    await writeFile(f('u.urls'), 'https://example.com/a.jpg\n');
    await writeFile(f('list'), 'https://example.com/a.jpg\n');
    await writeFile(f('photo.jpg'), photo('dog.jpg'));

    expect(await openBankSource(f('folder'))).toBeInstanceOf(FolderSource);
    expect(await openBankSource(f('a.warc'))).toBeInstanceOf(WarcSource);
    expect(await openBankSource(f('a.warc.gz'))).toBeInstanceOf(WarcSource);
    expect(await openBankSource(f('renamed.bin'))).toBeInstanceOf(WarcSource);
    expect(await openBankSource(f('h.csv'))).toBeInstanceOf(HashCsvSource);
    expect(await openBankSource(f('u.txt'))).toBeInstanceOf(UrlListSource);
    expect(await openBankSource(f('u.urls'))).toBeInstanceOf(UrlListSource);
    expect(await openBankSource(f('list'))).toBeInstanceOf(UrlListSource);
    await expect(openBankSource(f('photo.jpg'))).rejects.toMatchObject({ code: 'input.invalid' });
    await expect(openBankSource(f('missing'))).rejects.toMatchObject({ code: 'input.not_found' });
    await expect(openBankSource('ftp://example.com/x.warc')).rejects.toMatchObject({ code: 'input.invalid' });

    const warcItems = await collect(await openBankSource(f('renamed.bin')));
    expect(warcItems).toHaveLength(1);
    // sniffed as JPEG although the archived response said application/octet-stream
    expect(warcItems[0]).toMatchObject({ kind: 'media', key: '<urn:uuid:1>', sourceUrl: 'https://example.com/d', mime: 'image/jpeg' });
  });

  it('streams a remote WARC and a single URL through the address guard', async () => {
    await expect(collect(await openBankSource(`${base}/crawl.warc.gz`))).rejects.toMatchObject({ code: 'input.invalid' });
    const remote = await collect(await openBankSource(`${base}/crawl.warc.gz`, { allowPrivateAddresses: true }));
    expect(remote.map((i) => i.kind)).toEqual(['media']);

    const one = await openBankSource(`${base}/one.jpg`, { allowPrivateAddresses: true });
    expect(one).toBeInstanceOf(UrlListSource);
    expect(await one.total?.()).toBe(1);
    const items = await collect(one);
    expect(items[0]).toMatchObject({ kind: 'media', key: `${base}/one.jpg` });
  });
});
