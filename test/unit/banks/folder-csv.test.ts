import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FolderSource } from '../../../src/banks/sources/folder.ts';
import { HashCsvSource } from '../../../src/banks/sources/hash-csv.ts';
import { byKey, collect, HAVE_PHOTOS, photo } from './helpers.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tollgate-banks-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!HAVE_PHOTOS)('FolderSource', () => {
  it('walks recursively in sorted order, skips hidden entries, keys by relative path', async () => {
    const root = path.join(dir, 'refs');
    await mkdir(path.join(root, 'b', 'deep'), { recursive: true });
    await mkdir(path.join(root, '.git'), { recursive: true });
    await writeFile(path.join(root, 'z.jpg'), photo('dog.jpg'));
    await writeFile(path.join(root, 'a.jpg'), photo('eagle.jpg'));
    await writeFile(path.join(root, 'b', 'deep', 'c.jpg'), photo('kite.jpg'));
    await writeFile(path.join(root, 'b', 'notes.html'), '<!doctype html><html><body>hi</body></html>');
    await writeFile(path.join(root, '.DS_Store'), 'junk');
    await writeFile(path.join(root, '.git', 'x.jpg'), photo('dog.jpg'));
    await symlink(root, path.join(root, 'loop')); // a folder link must not be followed

    const src = new FolderSource(root);
    expect(await src.total()).toBe(4);
    const items = await collect(src);
    expect(items.map((i) => i.key)).toEqual(['a.jpg', 'b/deep/c.jpg', 'b/notes.html', 'z.jpg']);
    const a = items[0];
    expect(a?.kind).toBe('media');
    if (a?.kind === 'media') {
      expect(a.bytes.equals(photo('eagle.jpg'))).toBe(true);
      expect(a.mime).toBe('image/jpeg');
    }
    const html = items[2];
    expect(html?.kind).toBe('skipped');
    if (html?.kind === 'skipped') expect(html.reason).toMatch(/HTML/);
  });

  it('honours skipKeys, the byte limit and abort', async () => {
    const root = path.join(dir, 'refs2');
    await mkdir(root, { recursive: true });
    await writeFile(path.join(root, '1.jpg'), photo('dog.jpg'));
    await writeFile(path.join(root, '2.jpg'), photo('kite.jpg'));
    await writeFile(path.join(root, '3.jpg'), photo('person.jpg'));
    const resumed = await collect(new FolderSource(root), { skipKeys: new Set(['1.jpg']) });
    expect(resumed.map((i) => i.key)).toEqual(['2.jpg', '3.jpg']);

    const limited = byKey(await collect(new FolderSource(root, { maxBytes: 200_000 })));
    expect(limited.get('1.jpg')?.kind).toBe('media');
    expect(limited.get('2.jpg')?.kind).toBe('skipped'); // kite.jpg is 1.4 MB

    const ctrl = new AbortController();
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const item of new FolderSource(root).items({ signal: ctrl.signal })) {
          seen.push(item.key);
          ctrl.abort();
        }
      })(),
    ).rejects.toThrow();
    expect(seen).toEqual(['1.jpg']);
  });

  it('reports a missing folder as input.not_found', async () => {
    await expect(collect(new FolderSource(path.join(dir, 'nope')))).rejects.toMatchObject({ code: 'input.not_found' });
  });
});

const H1 = 'f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22';
const H2 = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

describe('HashCsvSource', () => {
  it('reads headerless pdq_hex,source rows and reports bad rows with their line', async () => {
    const file = path.join(dir, 'plain.csv');
    await writeFile(file, ['# exported 2026-11-23', H1 + ',https://example.com/a.jpg', '', `${H2.toUpperCase()},"stock, inc",87`, 'abc,short', `${H1},dup`, `${H2.slice(1)}z,bad hex`, `${H2.replace('0', '1')},x,101`].join('\n'));
    const src = new HashCsvSource(file);
    expect(await src.total()).toBe(6);
    const items = await collect(src);
    expect(items[0]).toEqual({ kind: 'hash', key: H1, pdq: H1, source: 'https://example.com/a.jpg' });
    expect(items[1]).toEqual({ kind: 'hash', key: H2, pdq: H2, source: 'stock, inc', quality: 87 });
    expect(items[2]).toMatchObject({ kind: 'skipped', key: 'line:5' });
    if (items[2]?.kind === 'skipped') expect(items[2].reason).toMatch(/line 5: "abc" is not a 64-hex/);
    // the duplicate of H1 on line 6 is the same bank entry: not yielded again
    expect(items[3]).toMatchObject({ kind: 'skipped', key: 'line:7' });
    expect(items[4]).toMatchObject({ kind: 'skipped' });
    if (items[4]?.kind === 'skipped') expect(items[4].reason).toMatch(/line 8: quality "101"/);
    expect(items).toHaveLength(5);
  });

  it('reads a pdq_hex,source header and an HMA signal_type,signal_value export', async () => {
    const a = path.join(dir, 'header.csv');
    await writeFile(a, `\ufeffpdq_hex,source\r\n${H1},a\r\n`);
    expect(await collect(new HashCsvSource(a))).toEqual([{ kind: 'hash', key: H1, pdq: H1, source: 'a' }]);

    const b = path.join(dir, 'hma.csv');
    await writeFile(b, ['signal_type,signal_value,bank_content_id,quality', `pdq,${H1},17,90`, 'md5,d41d8cd98f00b204e9800998ecf8427e,18,', `pdq,${H2},19,`].join('\n'));
    const items = await collect(new HashCsvSource(b), { skipKeys: new Set([H2]) });
    expect(items[0]).toEqual({ kind: 'hash', key: H1, pdq: H1, source: '17', quality: 90 });
    expect(items[1]).toMatchObject({ kind: 'skipped', key: 'line:3' });
    if (items[1]?.kind === 'skipped') expect(items[1].reason).toMatch(/signal type "md5" is not pdq/);
    expect(items).toHaveLength(2);
  });

  it('rejects a header without a PDQ column', async () => {
    const file = path.join(dir, 'nopdq.csv');
    await writeFile(file, 'source,quality\nx,1\n');
    await expect(collect(new HashCsvSource(file))).rejects.toMatchObject({ code: 'input.invalid' });
  });
});
