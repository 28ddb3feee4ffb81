import { parseTaskSpec, type TaskSpec } from '../../tasks/spec.ts';
import type { UploadFacts } from '../types.ts';

const parsed = new WeakMap<object, TaskSpec>();

/**
 * The upload's task spec, parsed once per spec object (several task detectors read it). A spec that does
 * not parse throws `input.invalid` with the paths: the run turns that into `system.detector_error`,
 * so a broken task sends uploads to review instead of passing them unchecked.
 */
export function taskSpecOf(upload: UploadFacts): TaskSpec | undefined {
  const spec = upload.task?.spec;
  if (!spec) return undefined;
  let result = parsed.get(spec);
  if (!result) {
    result = parseTaskSpec(spec);
    parsed.set(spec, result);
  }
  return result;
}

/** The instant captures must follow: the spec's `captured_after`, else when the task was given. */
export function captureThreshold(spec: TaskSpec, upload: UploadFacts): { at: Date; source: string } | undefined {
  if (spec.captured_after) return { at: new Date(spec.captured_after), source: 'captured_after' };
  if (upload.task?.givenAt) return { at: upload.task.givenAt, source: 'task given' };
  if (spec.given_at) return { at: new Date(spec.given_at), source: 'task given' };
  return undefined;
}
