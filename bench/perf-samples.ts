/**
 * CPU samples from Linux `perf` (Debian package `linux-perf`), attributed to the parts of the pipeline.
 *
 * `perf record -e cpu-clock -F 999 -g` takes a call stack about every millisecond of CPU each thread uses,
 * so samples × 1/999 s is CPU time, split by where it went. JavaScript frames are named from the map
 * file V8 writes under `--perf-basic-prof` (/tmp/perf-PID.map). V8 reuses the addresses of code it has
 * thrown away, so one address can appear several times in that file: the latest entry wins, which is the
 * code that was live while the samples were taken (they are taken after the warm-up).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';

export const SAMPLE_HZ = 999;

export function perfAvailable(): boolean {
  return spawnSync('perf', ['--version'], { stdio: 'ignore' }).status === 0;
}

export interface Recording {
  stop(): Promise<void>;
}

/** Starts `perf record` on one process (`pid`) or on the whole machine (`'all'`), writing to `file`. */
export async function record(target: number | 'all', file: string): Promise<Recording> {
  const scope = target === 'all' ? ['-a'] : ['-p', String(target)];
  const child = spawn('perf', ['record', '-q', '-e', 'cpu-clock', '-F', String(SAMPLE_HZ), '-g', ...scope, '-o', file], { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    // perf exits with the signal's status when stopped by SIGINT; the file is complete either way.
    child.on('exit', () => resolve());
  });
  // perf needs a moment to attach to every thread before it samples them.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  return {
    stop: async () => {
      child.kill('SIGINT');
      await exited;
    },
  };
}

export interface Frame {
  symbol: string;
  /** Shared object the frame is in: a library path, `[kernel.kallsyms]`, or a /tmp/perf-PID.map file for JIT code. */
  object: string;
}

export interface Sample {
  command: string;
  pid: number;
  tid: number;
  /** Innermost frame first. */
  frames: Frame[];
}

/** Names of JIT code by address, from V8's perf map: later entries replace earlier ones at the same place. */
class JitSymbols {
  readonly #starts: number[];
  readonly #entries: { start: number; size: number; name: string; order: number }[];

  constructor(mapFile: string, length: number) {
    const latest = new Map<number, { start: number; size: number; name: string; order: number }>();
    let order = 0;
    for (const line of readFileSync(mapFile).subarray(0, length).toString('utf8').split('\n')) {
      const first = line.indexOf(' ');
      const second = line.indexOf(' ', first + 1);
      if (second < 0) continue;
      const start = parseInt(line.slice(0, first), 16);
      latest.set(start, { start, size: parseInt(line.slice(first + 1, second), 16), name: line.slice(second + 1), order: order++ });
    }
    this.#entries = [...latest.values()].sort((a, b) => a.start - b.start);
    this.#starts = this.#entries.map((entry) => entry.start);
  }

  name(address: number): string {
    // The last entry starting at or below the address, then a few before it: an older, longer entry may still cover it.
    let low = 0;
    let high = this.#starts.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.#starts[mid]! <= address) low = mid + 1;
      else high = mid;
    }
    let best: { name: string; order: number } | undefined;
    for (let i = low - 1; i >= 0 && i >= low - 40; i--) {
      const entry = this.#entries[i]!;
      if (address < entry.start + entry.size && (!best || entry.order > best.order)) best = entry;
    }
    return best?.name ?? '[unknown JIT code]';
  }
}

/** V8's perf map of this process and its length now: a recording is named from the map as it stood when it stopped. */
export function jitMapNow(): { pid: number; length: number } {
  const file = `/tmp/perf-${process.pid}.map`;
  return { pid: process.pid, length: existsSync(file) ? statSync(file).size : 0 };
}

/** Reads a recording back as samples, naming JIT frames from a perf map (see jitMapNow). */
export async function readSamples(file: string, map: { pid: number; length: number }): Promise<Sample[]> {
  const mapFile = `/tmp/perf-${map.pid}.map`;
  const jit = existsSync(mapFile) ? new JitSymbols(mapFile, map.length) : undefined;
  const child = spawn('perf', ['script', '-i', file, '-F', 'comm,pid,tid,ip,sym,dso'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const samples: Sample[] = [];
  let current: Sample | undefined;
  for await (const line of createInterface({ input: child.stdout })) {
    if (line.length === 0) {
      if (current) samples.push(current);
      current = undefined;
    } else if (line.startsWith('\t')) {
      if (!current) continue;
      // "\t    ADDRESS SYMBOL (OBJECT)"; the symbol may contain spaces and parentheses.
      const body = line.trim();
      const space = body.indexOf(' ');
      const open = body.lastIndexOf(' (');
      const object = open > space ? body.slice(open + 2, -1) : '';
      let symbol = open > space ? body.slice(space + 1, open) : body.slice(space + 1);
      if (jit && object.startsWith('/tmp/perf-')) symbol = jit.name(parseInt(body.slice(0, space), 16));
      current.frames.push({ symbol, object });
    } else {
      // "COMMAND PID/TID": the command name may contain spaces.
      const match = /^(.*?)\s+(\d+)\/(\d+)\s*$/.exec(line);
      current = match ? { command: match[1]!, pid: Number(match[2]), tid: Number(match[3]), frames: [] } : undefined;
    }
  }
  if (current) samples.push(current);
  return samples;
}

/** A category and the frame patterns that put a sample in it. */
export interface Rule {
  category: string;
  pattern: RegExp;
}

/** The category of the innermost frame that matches a rule (so a database call made by an HTTP handler counts as database). */
export function innermost(sample: Sample, rules: readonly Rule[], fallback: string): string {
  for (const frame of sample.frames) {
    const text = `${frame.symbol} ${frame.object}`;
    for (const rule of rules) if (rule.pattern.test(text)) return rule.category;
  }
  return fallback;
}

/** The first rule any frame matches, in the rules' order (for PostgreSQL, where the outer phase names the work). */
export function firstRule(sample: Sample, rules: readonly Rule[], fallback: string): string {
  for (const rule of rules) if (sample.frames.some((frame) => rule.pattern.test(frame.symbol))) return rule.category;
  return fallback;
}
