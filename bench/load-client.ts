/**
 * The load generator for bench/api.ts, in its own process so the server's CPU figures exclude it.
 * Usage: load-client.ts URL KEY UPLOADS CONCURRENCY FILE... → prints {"latencies":[...],"errors":n,"seconds":s,"cpuMs":ms}
 *
 * It plays an app's backend: keep-alive connections and a multipart body assembled from the file's
 * bytes as they are (no per-request copy), so the client's own CPU stays small next to the server's;
 * each upload names its contributor, device, IP and capture time as an app's would.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';

const [url, key, uploadsArg, concurrencyArg, ...paths] = process.argv.slice(2);
const files = paths.map((p) => readFileSync(p));
const uploads = Number(uploadsArg);
const concurrency = Number(concurrencyArg);
const target = new URL(`${url}/v1/uploads?wait=30000`);
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const boundary = 'tollgate-bench-boundary-7d9c1e';
const trailer = Buffer.from(`\r\n--${boundary}--\r\n`);

/**
 * What an app reports with each upload: who sent it, from which phone, from where and when. No task: an
 * upload that answers one also gets the metadata deep phase (an ExifTool read), a later issue's checks.
 */
function fieldsFor(i: number, name: string): Record<string, unknown> {
  return {
    contributor_id: `c${i % 50}`,
    device: { id: `d${i % 50}`, model: 'Pixel 8', os: 'Android 15', app_version: '3.2.1' },
    client_ip: `198.51.100.${i % 250}`,
    captured_at: new Date(Date.UTC(2026, 10, 20, 8) + i * 60_000).toISOString(),
    file_name: name,
  };
}

function bodyFor(i: number): Buffer[] {
  const name = `u${i}.jpg`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="fields"\r\n\r\n${JSON.stringify(fieldsFor(i, name))}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  return [head, files[i % files.length]!, trailer];
}

function post(parts: Buffer[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const length = parts.reduce((sum, part) => sum + part.length, 0);
    const req = request(
      target,
      {
        method: 'POST',
        agent,
        headers: { authorization: `Bearer ${key}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': length },
      },
      (response) => {
        response.on('data', () => undefined);
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', reject);
      },
    );
    req.on('error', reject);
    for (const part of parts) req.write(part);
    req.end();
  });
}

const latencies: number[] = [];
let errors = 0;
let next = 0;
const started = performance.now();
async function lane(): Promise<void> {
  while (next < uploads) {
    const i = next++;
    const t0 = performance.now();
    try {
      if ((await post(bodyFor(i))) !== 200) errors++;
    } catch {
      errors++;
    }
    latencies.push(performance.now() - t0);
  }
}
await Promise.all(Array.from({ length: concurrency }, lane));
agent.destroy();
const cpu = process.cpuUsage();
process.stdout.write(JSON.stringify({ latencies, errors, seconds: (performance.now() - started) / 1000, cpuMs: (cpu.user + cpu.system) / 1000 }));
