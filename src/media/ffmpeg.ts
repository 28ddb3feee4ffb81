import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { TollgateError } from '../errors.ts';

/**
 * Locating and running ffmpeg/ffprobe. Order: $TOLLGATE_FFMPEG / $TOLLGATE_FFPROBE, then the binaries on
 * PATH (Debian's ffmpeg: current, with dav1d/libvpx), then @ffmpeg-installer/@ffprobe-installer, which ship
 * static builds inside the npm package but are old (ffmpeg 4.x), hence the warning.
 */
export type Tool = 'ffmpeg' | 'ffprobe';

const resolved = new Map<Tool, string>();

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

function fromInstaller(tool: Tool): string | undefined {
  const require = createRequire(import.meta.url);
  try {
    const mod: unknown = require(tool === 'ffmpeg' ? '@ffmpeg-installer/ffmpeg' : '@ffprobe-installer/ffprobe');
    if (typeof mod === 'object' && mod !== null && 'path' in mod && typeof mod.path === 'string') return mod.path;
  } catch {
    // the package throws on unsupported platforms
  }
  return undefined;
}

export function toolPath(tool: Tool): string {
  const cached = resolved.get(tool);
  if (cached) return cached;
  const env = process.env[tool === 'ffmpeg' ? 'TOLLGATE_FFMPEG' : 'TOLLGATE_FFPROBE'];
  let path = env || onPath(tool);
  if (!path) {
    path = fromInstaller(tool);
    if (path) {
      process.emitWarning(`${tool} not found on PATH; using the older build bundled in the npm package (${path})`, {
        code: 'TOLLGATE_FFMPEG_FALLBACK',
      });
    }
  }
  if (!path) throw new TollgateError('media.decoder_unavailable', `${tool} is not installed (not on PATH, no npm fallback)`);
  resolved.set(tool, path);
  return path;
}

export interface RunOptions {
  /** Bytes written to stdin (for `-i pipe:0`); omitted → stdin closed. */
  stdin?: Buffer;
  timeoutMs: number;
  signal?: AbortSignal;
  /** stdout beyond this is an error (guards memory when a stream is larger than announced). */
  maxStdoutBytes: number;
}

export interface RunResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/**
 * Runs a tool and collects its output. The child is killed (SIGKILL: ffmpeg may ignore SIGTERM while
 * blocked in a demuxer) on timeout, abort, or runaway output, and the promise rejects with media.timeout.
 */
export function runTool(tool: Tool, args: readonly string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new TollgateError('media.timeout', `${tool} aborted before start`, { aborted: true }));
      return;
    }
    const child = spawn(toolPath(tool), args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let failure: TollgateError | undefined;
    const kill = (error: TollgateError): void => {
      failure ??= error;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => kill(new TollgateError('media.timeout', `${tool} took longer than ${options.timeoutMs} ms`)), options.timeoutMs);
    const onAbort = (): void => kill(new TollgateError('media.timeout', `${tool} aborted by the caller`, { aborted: true }));
    options.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > options.maxStdoutBytes) kill(new TollgateError('media.corrupt', `${tool} produced more output than expected`));
      else chunks.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      // Keep only the tail: the error that matters is printed last, and a broken file can log megabytes.
      stderr = (stderr + chunk.toString('utf8')).slice(-16_384);
    });
    // ffmpeg may exit before reading all of stdin (e.g. it has enough frames); EPIPE is expected then.
    child.stdin.on('error', () => undefined);
    let settled = false;
    const settle = (code: number | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (failure) reject(failure);
      else resolve({ code, stdout: Buffer.concat(chunks), stderr });
    };
    // A spawn failure (ENOENT, EACCES) may not be followed by 'close', so it settles on its own.
    child.on('error', (err) => {
      failure ??= new TollgateError('media.decoder_unavailable', `${tool} failed to run: ${err.message}`, undefined, { cause: err });
      child.kill('SIGKILL');
      settle(null);
    });
    child.on('close', (code) => settle(code));
    if (options.stdin) child.stdin.end(options.stdin);
    else child.stdin.end();
  });
}
