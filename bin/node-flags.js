/**
 * V8 flags for Tollgate's long-running processes, which `bin/tollgate.js` and the worker spawner
 * (src/jobs/worker-processes.ts) start Node with.
 *
 * --initial-old-space-size: an upload's bytes stay in memory while it waits for a worker (the blob
 * hand-off, src/blobs/recent.ts), long enough for V8 to promote them, and promoted ArrayBuffers count
 * towards the old generation. Left to itself, V8 keeps the old generation of `serve` (~45 MB live) just
 * above its live size, so those bytes started a full mark-compact every ~7 uploads: 62 per 448 uploads on
 * the API bench, about 8 ms CPU per upload in marking and sweeping. Configured at 256 MB (V8 then stops
 * shrinking the limit), 6. Measured with `node --trace-gc` on the bench's server run.
 */
export const LONG_RUNNING_FLAGS = ['--initial-old-space-size=256'];

/** Commands that run until stopped (or over many files): worth a process started with LONG_RUNNING_FLAGS. */
export const LONG_RUNNING_COMMANDS = new Set(['serve', 'worker', 'scan']);

/** True when this process was started with the flags (by itself or by whoever launched it). */
export function hasLongRunningFlags(execArgv) {
  return LONG_RUNNING_FLAGS.every((flag) => execArgv.some((arg) => arg.split('=')[0] === flag.split('=')[0]));
}
