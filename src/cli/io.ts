import { TollgateError } from '../errors.ts';

export const EXIT = { ok: 0, failure: 1, usage: 2, unreadable: 3 } as const;

/** A command's way to stop with a message and an exit code (usage errors print the command's help). */
export class CliExit extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

export function usage(message: string): CliExit {
  return new CliExit(EXIT.usage, message);
}

export function printJson(value: unknown, pretty = false): void {
  process.stdout.write(`${JSON.stringify(value, null, pretty ? 2 : undefined)}\n`);
}

export function describeError(error: unknown): string {
  if (error instanceof TollgateError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
