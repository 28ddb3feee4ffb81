#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so `npx tollgate` works straight after `npm install`.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { hasLongRunningFlags, LONG_RUNNING_COMMANDS, LONG_RUNNING_FLAGS } from './node-flags.js';

const command = process.argv[2] ?? '';
if (LONG_RUNNING_COMMANDS.has(command) && !hasLongRunningFlags(process.execArgv)) {
  // V8 flags only apply at start: run the command in a Node started with them, as this process's only job.
  const child = spawn(process.execPath, [...LONG_RUNNING_FLAGS, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
  });
  // A supervisor's SIGTERM reaches only this process; the child must get it to shut down gracefully.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
} else {
  // Started by the branch above: if that process dies without passing a signal on (SIGKILL), stop too.
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  // The channel only watches the parent: it must not keep a finished command alive.
  process.channel?.unref();
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
