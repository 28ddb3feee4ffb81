import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { downloadMedia, type FetchPolicy } from '../../../src/banks/sources/http-fetch.ts';
import { HAVE_PHOTOS, photo } from './helpers.ts';

// The guard's resolver is replaced so `.test` names (which no real resolver answers) resolve as we say.
const answers = new Map<string, Array<{ address: string; family: number }>>();
const lookups: string[] = [];
vi.mock('node:dns/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:dns/promises')>();
  return {
    ...actual,
    lookup: async (host: string) => {
      lookups.push(host);
      const a = answers.get(host);
      if (!a) throw new Error(`ENOTFOUND ${host}`);
      return a;
    },
  };
});

let server: http.Server;
let port = 0;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/hop') return void res.writeHead(302, { location: `http://inside.rebind.test:${port}/a.jpg` }).end();
    res.writeHead(200).end(photo('dog.jpg'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const policy = (allowPrivate: boolean): FetchPolicy => ({ maxBytes: 10_000_000, timeoutMs: 3000, maxRedirects: 5, allowPrivate, userAgent: 't' });

describe.skipIf(!HAVE_PHOTOS)('connection pinning and per-hop checks', () => {
  it('connects to the vetted address: a name only the guard can resolve still reaches the server', async () => {
    answers.set('images.rebind.test', [{ address: '127.0.0.1', family: 4 }]);
    const r = await downloadMedia(`http://images.rebind.test:${port}/a.jpg`, policy(true));
    expect(r.ok).toBe(true);
    // one resolution, by the guard; the socket did not resolve the name again
    expect(lookups.filter((h) => h === 'images.rebind.test')).toHaveLength(1);
  });

  it('refuses a host when any of its addresses is private, even if the first is public', async () => {
    answers.set('mixed.rebind.test', [
      { address: '93.184.216.34', family: 4 },
      { address: '::ffff:169.254.169.254', family: 6 },
    ]);
    const r = await downloadMedia(`http://mixed.rebind.test:${port}/a.jpg`, policy(false));
    expect(r).toMatchObject({ ok: false });
    if (!r.ok) expect(r.reason).toMatch(/metadata address ::ffff:169.254.169.254/);
  });

  it('re-checks every redirect hop', async () => {
    answers.set('outside.rebind.test', [{ address: '127.0.0.1', family: 4 }]);
    answers.set('inside.rebind.test', [{ address: '127.0.0.1', family: 4 }]);
    // The redirect target is looked up and vetted again, not reached through the first hop's answer.
    const seen = lookups.length;
    const r = await downloadMedia(`http://outside.rebind.test:${port}/hop`, policy(true));
    expect(lookups.slice(seen)).toEqual(['outside.rebind.test', 'inside.rebind.test']);
    expect(r.ok).toBe(true);
    // Without the flag the same chain stops at the first (loopback) hop.
    const refused = await downloadMedia(`http://outside.rebind.test:${port}/hop`, policy(false));
    expect(refused).toMatchObject({ ok: false });
    if (!refused.ok) expect(refused.reason).toMatch(/loopback/);
  });
});
