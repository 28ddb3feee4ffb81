import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { LONG_RUNNING_FLAGS } from '../../bin/node-flags.js';

const BIN = fileURLToPath(new URL('../../bin/tollgate.js', import.meta.url));

export interface WorkerPool {
  /** Resolves once every first-generation worker has started consuming the queue. */
  ready: Promise<void>;
  /** Process ids of the workers running now. */
  pids(): number[];
  stop(): Promise<void>;
}

const STARTED_LINE = 'tollgate worker started';

/**
 * Starts `count` `tollgate worker` processes on the same database and blob store, and restarts any that
 * dies. Node runs detectors' JavaScript on one thread, so on a server database this is how one machine
 * uses all its cores; the queue spreads the jobs.
 */
export function startWorkerProcesses(count: number, env: NodeJS.ProcessEnv, log: (line: string) => void): WorkerPool {
  const children = new Set<ChildProcess>();
  const started: Array<Promise<void>> = [];
  let stopping = false;
  const launch = (slot: number, restarts: number): void => {
    const child = spawn(process.execPath, [...LONG_RUNNING_FLAGS, BIN, 'worker'], { env, stdio: ['ignore', 'inherit', 'pipe'] });
    children.add(child);
    if (restarts === 0) {
      started.push(
        new Promise((resolve) => {
          const watch = (chunk: Buffer) => {
            if (!chunk.toString().includes(STARTED_LINE)) return;
            child.stderr?.off('data', watch);
            resolve();
          };
          child.stderr?.on('data', watch);
          child.once('exit', () => resolve());
        }),
      );
    }
    child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    child.on('exit', (code, signal) => {
      children.delete(child);
      if (stopping) return;
      // Back off when a worker keeps dying at start (bad configuration) instead of spinning.
      const delay = Math.min(30_000, 500 * 2 ** Math.min(restarts, 6));
      log(`worker process ${slot} exited (${signal ?? code}); restarting in ${delay} ms`);
      setTimeout(() => launch(slot, restarts + 1), delay).unref();
    });
  };
  for (let slot = 1; slot <= count; slot++) launch(slot, 0);
  return {
    ready: Promise.all(started).then(() => undefined),
    pids: () => [...children].flatMap((child) => (child.pid === undefined ? [] : [child.pid])),
    stop: async () => {
      stopping = true;
      await Promise.all(
        [...children].map(
          (child) =>
            new Promise<void>((resolve) => {
              child.once('exit', () => resolve());
              child.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}
