import { readFile } from 'node:fs/promises';
import { TollgateError } from '../errors.ts';
import type { UploadFacts } from '../detectors/types.ts';

/** Reads a task spec (JSON) for `--task`; the task counts as given now unless the file says `given_at`. */
export async function readTaskFile(path: string): Promise<NonNullable<UploadFacts['task']>> {
  let spec: unknown;
  try {
    spec = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new TollgateError('input.invalid', `cannot read task file ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new TollgateError('input.invalid', `task file ${path} must hold a JSON object`);
  const record = spec as Record<string, unknown>;
  const givenAt = typeof record['given_at'] === 'string' ? new Date(record['given_at']) : undefined;
  return { id: path, spec: record, ...(givenAt && !Number.isNaN(givenAt.getTime()) ? { givenAt } : {}) };
}
