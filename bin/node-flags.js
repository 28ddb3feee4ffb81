/**
 * V8 flags for Tollgate's long-running processes, which `bin/tollgate.js` and the worker spawner
 * (src/jobs/worker-processes.ts) start Node with.
 *
 * --initial-old-space-size: left to itself, V8 keeps the old generation of a process with a small live
 * heap (~45 MB for `serve`) just above its live size, so the few hundred KB each in-flight upload
 * promotes start a full mark-compact every ~7 uploads. Measured on the API bench: 59 mark-compacts per
 * 448 uploads, ~10 ms CPU per upload in V8's marking and sweeping; with the old generation configured at
 * 256 MB, 6 mark-compacts and 8 ms less CPU per upload. Configured, V8 also stops shrinking the limit.
 */
export const LONG_RUNNING_FLAGS = ['--initial-old-space-size=256'];

/** Commands that run until stopped (or over many files): worth a process started with LONG_RUNNING_FLAGS. */
export const LONG_RUNNING_COMMANDS = new Set(['serve', 'worker', 'scan']);

/** True when this process was started with the flags (by itself or by whoever launched it). */
export function hasLongRunningFlags(execArgv) {
  return LONG_RUNNING_FLAGS.every((flag) => execArgv.some((arg) => arg.split('=')[0] === flag.split('=')[0]));
}
