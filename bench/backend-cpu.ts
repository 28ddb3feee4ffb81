/**
 * CPU of the PostgreSQL backends serving one database over a run, counted by a small watcher process.
 *
 * Reading the backends' CPU only at the start and the end of a run misses a backend the pool closes in
 * between (pg.Pool drops clients idle for 10 s): its work vanishes and, worse, its CPU before the run
 * is subtracted. The watcher polls /proc every 100 ms for backends whose process title names the
 * database, remembers the last CPU it saw for each, and reports the sum of what each spent after the
 * start. It runs in a process of its own so its polling adds nothing to the CPU the benchmark measures.
 *
 * Usage as a process: backend-cpu.ts DATABASE → prints "ready", then on stdin's end the CPU in ms.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { processCpuMs } from './process-cpu.ts';

const POLL_MS = 100;

/** Backends of `database`: PostgreSQL titles them "postgres: [cluster: ]USER DATABASE HOST(PORT) STATE". */
function backendsOf(database: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const title = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (title.startsWith('postgres: ') && title.includes(` ${database} `)) pids.push(Number(entry));
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return pids;
}

function watch(database: string): void {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  const poll = (atStart: boolean) => {
    for (const pid of backendsOf(database)) {
      const cpu = processCpuMs(pid);
      if (cpu === undefined) continue;
      // A backend born during the run spent all its CPU in it.
      if (!first.has(pid)) first.set(pid, atStart ? cpu : 0);
      last.set(pid, cpu);
    }
  };
  poll(true);
  const timer = setInterval(() => poll(false), POLL_MS);
  process.stdout.write('ready\n');
  process.stdin.resume();
  process.stdin.on('end', () => {
    clearInterval(timer);
    poll(false);
    let total = 0;
    for (const [pid, cpu] of last) total += cpu - (first.get(pid) ?? 0);
    process.stdout.write(`${total}\n`);
  });
}

/** Starts counting the CPU of `database`'s backends; `stop` resolves with the ms they spent since. */
export async function watchBackendCpu(database: string): Promise<{ stop(): Promise<number> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), database], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(Number(out.split('\n')[1])) : reject(new Error(`backend CPU watcher exited ${code}`))));
  });
  await new Promise<void>((resolve, reject) => {
    const onData = () => {
      if (out.startsWith('ready\n')) {
        child.stdout.off('data', onData);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.on('exit', () => reject(new Error('backend CPU watcher ended before it was ready')));
  });
  return {
    stop: () => {
      child.stdin.end();
      return exited;
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) watch(process.argv[2] ?? '');
