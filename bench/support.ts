import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export function machine(): string {
  return `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`;
}

export function filesUnder(dir: string, pattern = /\.(jpe?g|png|webp|gif|tiff?|heic|heif|avif|mp4|mov|webm|mkv)$/i): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...filesUnder(full, pattern));
    else if (pattern.test(entry)) out.push(full);
  }
  return out;
}

/** A 12 MP photo-like JPEG (smooth random shapes plus sensor-like noise), distinct per seed. */
export async function syntheticPhoto(seed: number, width = 4000, height = 3000): Promise<Buffer> {
  const small = 40;
  const pixels = Buffer.alloc(small * 30 * 3);
  let state = seed * 2654435761;
  const random = () => ((state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.floor(random() * 256);
  const base = await sharp(pixels, { raw: { width: small, height: 30, channels: 3 } })
    .resize(width, height, { kernel: 'cubic' })
    .raw()
    .toBuffer();
  for (let i = 0; i < base.length; i += 7) base[i] = Math.max(0, Math.min(255, base[i]! + Math.floor(random() * 16) - 8));
  return sharp(base, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}

export function table(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const line = (cells: ReadonlyArray<string | number>) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Sorted wall-clock and CPU milliseconds of repeated calls. */
export interface Timing {
  wall: number[];
  cpu: number[];
}

/** Runs `fn` on each item, after one untimed warm-up call (module caches, JIT) on `warmUp`, by default the first item. */
export async function timeEach<T>(items: readonly T[], fn: (item: T) => Promise<unknown>, warmUp: T | undefined = items[0]): Promise<Timing> {
  const t: Timing = { wall: [], cpu: [] };
  if (warmUp !== undefined) await fn(warmUp);
  for (const item of items) {
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    await fn(item);
    t.wall.push(performance.now() - w0);
    const c = process.cpuUsage(c0);
    t.cpu.push((c.user + c.system) / 1000);
  }
  t.wall.sort((a, b) => a - b);
  t.cpu.sort((a, b) => a - b);
  return t;
}

export const formatMs = (x: number): string => (x < 10 ? x.toFixed(2) : x.toFixed(1));

/** A markdown row: name, count, CPU p50/p90, wall p50/p90, target. */
export function timingRow(name: string, t: Timing, target: string): string {
  return `| ${name} | ${t.wall.length} | ${formatMs(percentile(t.cpu, 50))} | ${formatMs(percentile(t.cpu, 90))} | ${formatMs(percentile(t.wall, 50))} | ${formatMs(percentile(t.wall, 90))} | ${target} |`;
}

/** Runs a bench script in a Node process of its own (`nodeArgs` before it) and parses the JSON it prints. */
export function jsonFromChild<T>(nodeArgs: readonly string[], script: string, args: readonly string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as T) : reject(new Error(`${script} exited ${code}`))));
  });
}
