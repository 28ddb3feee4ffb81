import { z } from 'zod';
import { TollgateError } from '../errors.ts';
import { closeCocoLabels, COCO_LABELS, editDistance, isCocoLabel, type CocoLabel } from './coco.ts';

/**
 * A task: what an upload must be to earn its payout. Field names are fixed (other tools write task
 * files), so the schema is strict: a misspelt field is an error, not a requirement silently dropped.
 */

const cocoLabel = z.string().superRefine((value, ctx) => {
  if (isCocoLabel(value)) return;
  const close = closeCocoLabels(value);
  ctx.addIssue({
    code: z.ZodIssueCode.custom,
    message:
      `"${value}" is not a COCO object label` +
      (close.length > 0 ? `; did you mean ${close.map((l) => `"${l}"`).join(', ')}?` : `; use one of the ${COCO_LABELS.length} COCO labels (person, dog, car, …)`),
  });
}) as unknown as z.ZodType<CocoLabel>;

const isoTime = z.string().datetime({ offset: true, message: 'must be an ISO 8601 time with a zone, e.g. 2026-11-23T09:00:00Z' });

export const taskSpecSchema = z
  .object({
    media: z.enum(['image', 'video', 'any']).default('any'),
    min_duration_s: z.number().nonnegative().optional(),
    max_duration_s: z.number().positive().optional(),
    min_width: z.number().int().positive().optional(),
    min_height: z.number().int().positive().optional(),
    orientation: z.enum(['portrait', 'landscape', 'any']).default('any'),
    require_objects: z.array(cocoLabel).default([]),
    forbid_objects: z.array(cocoLabel).default([]),
    /** Share of the analysed frames (videos) an object must appear in to count as present. */
    min_object_fraction: z.number().gt(0).max(1).default(0.3),
    /** The contributor's own face must appear and match their enrolled face. */
    self: z.boolean().default(false),
    max_people: z.number().int().nonnegative().optional(),
    captured_after: isoTime.optional(),
    near: z
      .object({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180), radius_km: z.number().positive() })
      .strict()
      .optional(),
    /** Free text for people (and for an image-text model when a tenant has one); not checked without one. */
    text: z.string().max(2000).optional(),
    /** When the task was given to the contributor (the CLI reads it from the task file). */
    given_at: isoTime.optional(),
  })
  .strict()
  .superRefine((spec, ctx) => {
    if (spec.min_duration_s !== undefined && spec.max_duration_s !== undefined && spec.min_duration_s > spec.max_duration_s) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['max_duration_s'], message: `must be ≥ min_duration_s (${spec.min_duration_s})` });
    }
    if (spec.media === 'image' && (spec.min_duration_s !== undefined || spec.max_duration_s !== undefined)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['media'], message: 'an image task cannot have a duration bound' });
    }
    for (const label of spec.require_objects) {
      if (spec.forbid_objects.includes(label)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['forbid_objects'], message: `"${label}" is both required and forbidden` });
      }
    }
  });

export type TaskSpec = z.infer<typeof taskSpecSchema>;
export type TaskSpecInput = z.input<typeof taskSpecSchema>;

const FIELDS = Object.keys(taskSpecSchema.innerType().shape);

/** "unknown field "min_duration" (did you mean "min_duration_s"?)": other tools write these files by hand. */
function unknownFields(keys: readonly string[]): string {
  return keys
    .map((key) => {
      const close = FIELDS.filter((f) => f.startsWith(key) || key.startsWith(f) || editDistance(key, f) <= 2);
      return `unknown field "${key}"${close.length > 0 ? ` (did you mean ${close.map((f) => `"${f}"`).join(', ')}?)` : ''}`;
    })
    .join('; ');
}

/** Parses a task spec; every problem is reported with its path, e.g. `require_objects.0: "persn" is not …`. */
export function parseTaskSpec(input: unknown): TaskSpec {
  const parsed = taskSpecSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.code === z.ZodIssueCode.unrecognized_keys ? unknownFields(i.keys) : i.message }));
    throw new TollgateError('input.invalid', `invalid task: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, { problems });
  }
  return parsed.data;
}

/** Whether any requirement needs the vision models (they are loaded only then). */
export function taskNeedsVision(spec: TaskSpec): boolean {
  return spec.require_objects.length > 0 || spec.forbid_objects.length > 0 || spec.self || spec.max_people !== undefined;
}
