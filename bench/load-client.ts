/**
 * The load generator for bench/api.ts, in its own process so the server's CPU figures exclude it.
 * Usage: load-client.ts URL KEY UPLOADS CONCURRENCY FILE... → prints {"latencies":[...],"errors":n,"seconds":s}
 */
import { readFileSync } from 'node:fs';

const [url, key, uploadsArg, concurrencyArg, ...paths] = process.argv.slice(2);
const files = paths.map((p) => readFileSync(p));
const uploads = Number(uploadsArg);
const latencies: number[] = [];
let errors = 0;
let next = 0;
const started = performance.now();
async function lane(): Promise<void> {
  while (next < uploads) {
    const i = next++;
    const form = new FormData();
    form.append('fields', JSON.stringify({ contributor_id: `c${i % 50}`, file_name: `u${i}.jpg` }));
    form.append('file', new Blob([files[i % files.length]!]), `u${i}.jpg`);
    const t0 = performance.now();
    try {
      const response = await fetch(`${url}/v1/uploads?wait=30000`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form });
      await response.arrayBuffer();
      if (response.status !== 200) errors++;
    } catch {
      errors++;
    }
    latencies.push(performance.now() - t0);
  }
}
await Promise.all(Array.from({ length: Number(concurrencyArg) }, lane));
process.stdout.write(JSON.stringify({ latencies, errors, seconds: (performance.now() - started) / 1000 }));
