import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat on Linux (USER_HZ, 100 on every mainstream kernel). */
const TICKS_PER_SECOND = 100;

/** User + system CPU of one process so far (ms), or undefined when it has gone. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces; fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/**
 * CPU per process group over a run. Unlike whole-machine busy time, this ignores whatever else the machine
 * runs, so it stays meaningful on a shared machine.
 */
export class CpuLedger {
  readonly #start = new Map<number, number>();

  mark(pids: readonly number[]): void {
    for (const pid of pids) if (!this.#start.has(pid)) this.#start.set(pid, processCpuMs(pid) ?? 0);
  }

  /** CPU used since `mark` by these processes (a process first seen now counts from zero). */
  spent(pids: readonly number[]): number {
    let total = 0;
    for (const pid of new Set(pids)) total += (processCpuMs(pid) ?? 0) - (this.#start.get(pid) ?? 0);
    return total;
  }
}
