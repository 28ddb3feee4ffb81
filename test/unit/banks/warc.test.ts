import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WarcSource } from '../../../src/banks/sources/warc.ts';
import type { BankItem } from '../../../src/banks/sources/types.ts';
import { collect, HAVE_PHOTOS, photo } from './helpers.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tollgate-warc-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const id = (n: number): string => `<urn:uuid:00000000-0000-4000-8000-${String(n).padStart(12, '0')}>`;

/** One WARC record as a crawler writes it: version, headers, block, CRLF CRLF. */
function record(version: string, type: string, n: number, block: Buffer, extra: Record<string, string> = {}): Buffer {
  const headers: Record<string, string> = {
    'WARC-Type': type,
    'WARC-Record-ID': id(n),
    'WARC-Date': '2026-11-23T20:00:00Z',
    ...extra,
    'Content-Length': String(block.length),
  };
  const head = `${version}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), block, Buffer.from('\r\n\r\n')]);
}

function httpResponse(status: number, headers: Record<string, string>, body: Buffer): Buffer {
  const head = `HTTP/1.1 ${status} X\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

function chunked(body: Buffer, size: number): Buffer {
  const parts: Buffer[] = [];
  for (let o = 0; o < body.length; o += size) {
    const c = body.subarray(o, o + size);
    parts.push(Buffer.from(`${c.length.toString(16)};ext=1\r\n`), c, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

const uri = (name: string): Record<string, string> => ({ 'WARC-Target-URI': `https://example.com/${name}`, 'Content-Type': 'application/http; msgtype=response' });

function records(): Buffer[] {
  const v = 'WARC/1.1';
  return [
    record(v, 'warcinfo', 1, Buffer.from('software: test\r\n'), { 'Content-Type': 'application/warc-fields' }),
    record(v, 'request', 2, Buffer.from('GET /dog.jpg HTTP/1.1\r\nHost: example.com\r\n\r\n'), { 'WARC-Target-URI': 'https://example.com/dog.jpg' }),
    record(v, 'response', 3, httpResponse(200, { 'Content-Type': 'image/jpeg', 'Content-Length': String(photo('dog.jpg').length) }, photo('dog.jpg')), uri('dog.jpg')),
    record(v, 'response', 4, httpResponse(200, { 'Content-Type': 'text/html' }, Buffer.from('<!doctype html><html><body>page</body></html>')), uri('index.html')),
    record(v, 'response', 5, httpResponse(200, { 'Content-Type': 'image/jpeg', 'Transfer-Encoding': 'chunked' }, chunked(photo('eagle.jpg'), 7000)), uri('eagle.jpg')),
    record(v, 'response', 6, httpResponse(200, { 'Content-Type': 'image/jpeg', 'Content-Encoding': 'gzip' }, gzipSync(photo('horses.jpg'))), uri('horses.jpg')),
    record(v, 'response', 7, httpResponse(404, { 'Content-Type': 'text/html' }, Buffer.from('<html>nope</html>')), uri('gone.jpg')),
    record(v, 'metadata', 8, Buffer.from('fetchTimeMs: 12\r\n'), { 'WARC-Target-URI': 'https://example.com/dog.jpg' }),
    record('WARC/1.0', 'resource', 9, photo('person.jpg'), { 'WARC-Target-URI': '<https://example.com/person.jpg>', 'Content-Type': 'image/jpeg' }),
    record(v, 'response', 10, httpResponse(200, { 'Content-Type': 'image/jpeg' }, Buffer.from('<html><script>x</script></html>')), uri('fake.jpg')),
  ];
}

function lastTruncated(): Buffer {
  const full = record('WARC/1.1', 'response', 11, httpResponse(200, { 'Content-Type': 'image/jpeg' }, photo('giraffe.jpg')), uri('giraffe.jpg'));
  return full.subarray(0, Math.floor(full.length / 2));
}

function checkItems(items: BankItem[], truncatedReason: RegExp): void {
  const keys = items.map((i) => `${i.kind}:${i.key}`);
  expect(keys).toEqual([`media:${id(3)}`, `media:${id(5)}`, `media:${id(6)}`, `media:${id(9)}`, `skipped:${id(10)}`, `skipped:${id(11)}`]);
  const [dog, eagle, horses, person, fake, cut] = items;
  const expectMedia = (item: BankItem | undefined, name: string): void => {
    expect(item?.kind).toBe('media');
    if (item?.kind !== 'media') return;
    expect(item.bytes.equals(photo(name))).toBe(true);
    expect(item.sourceUrl).toBe(`https://example.com/${name}`);
    expect(item.mime).toBe('image/jpeg');
  };
  expectMedia(dog, 'dog.jpg');
  expectMedia(eagle, 'eagle.jpg');
  expectMedia(horses, 'horses.jpg');
  expectMedia(person, 'person.jpg');
  if (fake?.kind === 'skipped') expect(fake.reason).toMatch(/not media/);
  expect(cut?.kind).toBe('skipped');
  if (cut?.kind === 'skipped') {
    expect(cut.reason).toMatch(truncatedReason);
    expect(cut.sourceUrl).toBe('https://example.com/giraffe.jpg');
  }
}

describe.skipIf(!HAVE_PHOTOS)('WarcSource', () => {
  it('reads a plain .warc: media responses, chunked and gzip bodies, resources; truncated last record skipped', async () => {
    const file = path.join(dir, 'crawl.warc');
    await writeFile(file, Buffer.concat([...records(), lastTruncated()]));
    const src = WarcSource.fromFile(file);
    expect(await src.total()).toBeUndefined();
    checkItems(await collect(src), /file ends after \d+ of \d+ bytes|file ends inside/);
  });

  it('reads a .warc.gz with one gzip member per record, as Common Crawl writes it', async () => {
    const file = path.join(dir, 'crawl.warc.gz');
    const members = records().map((r) => gzipSync(r));
    const cut = gzipSync(record('WARC/1.1', 'response', 11, httpResponse(200, { 'Content-Type': 'image/jpeg' }, photo('giraffe.jpg')), uri('giraffe.jpg')));
    await writeFile(file, Buffer.concat([...members, cut.subarray(0, Math.floor(cut.length * 0.6))]));
    checkItems(await collect(WarcSource.fromFile(file)), /unexpected end of file/);
  });

  it('honours skipKeys, the byte limit and abort', async () => {
    const file = path.join(dir, 'crawl2.warc.gz');
    await writeFile(file, Buffer.concat(records().map((r) => gzipSync(r))));
    const resumed = await collect(WarcSource.fromFile(file), { skipKeys: new Set([id(3), id(5), id(6)]) });
    expect(resumed.map((i) => i.key)).toEqual([id(9), id(10)]);

    const limited = await collect(WarcSource.fromFile(file, { maxBytes: 150_000 }));
    const giant = limited.find((i) => i.key === id(9)); // person.jpg 114 KB fits, dog 164 KB does not
    expect(giant?.kind).toBe('media');
    const dog = limited.find((i) => i.key === id(3));
    expect(dog?.kind).toBe('skipped');

    // Blocks far over the limit are recognised from their head and skipped without being read into memory.
    const tiny = await collect(WarcSource.fromFile(file, { maxBytes: 10_000 }));
    expect(tiny.map((i) => `${i.kind}:${i.key}`)).toEqual([`skipped:${id(3)}`, `skipped:${id(5)}`, `skipped:${id(6)}`, `skipped:${id(9)}`, `skipped:${id(10)}`]);
    const first = tiny[0];
    if (first?.kind === 'skipped') expect(first.reason).toMatch(/record payload of \d+ bytes exceeds the 10000-byte limit/);

    const ctrl = new AbortController();
    let got = 0;
    await expect(
      (async () => {
        for await (const _ of WarcSource.fromFile(file).items({ signal: ctrl.signal })) {
          got++;
          ctrl.abort();
        }
      })(),
    ).rejects.toThrow();
    expect(got).toBe(1);
  });

  it('refuses a file that is not a WARC, and reports garbage after valid records', async () => {
    const notWarc = path.join(dir, 'x.warc');
    await writeFile(notWarc, 'hello world\n');
    await expect(collect(WarcSource.fromFile(notWarc))).rejects.toMatchObject({ code: 'input.invalid' });

    const trailing = path.join(dir, 'trailing.warc');
    await writeFile(trailing, Buffer.concat([records()[2] ?? Buffer.alloc(0), Buffer.from('garbage line\r\n')]));
    const items = await collect(WarcSource.fromFile(trailing));
    expect(items.map((i) => i.kind)).toEqual(['media', 'skipped']);
  });
});
