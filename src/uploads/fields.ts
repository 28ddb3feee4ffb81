import { z } from 'zod';
import { TollgateError } from '../errors.ts';

/** What an app sends with an upload (multipart fields or JSON). Field names are part of the API. */
export const uploadFieldsSchema = z
  .object({
    contributor_id: z.string().min(1).max(200).optional(),
    device: z
      .object({
        id: z.string().min(1).max(200),
        model: z.string().max(200).optional(),
        os: z.string().max(200).optional(),
        app_version: z.string().max(100).optional(),
      })
      .strict()
      .optional(),
    task_id: z.string().min(1).max(200).optional(),
    /** A task spec stored with the task the first time (or replacing it); checked by the task detectors. */
    task: z.object({ spec: z.record(z.unknown()).optional(), given_at: z.string().datetime({ offset: true }).optional() }).strict().optional(),
    client_ip: z.string().ip().optional(),
    captured_at: z.string().datetime({ offset: true }).optional(),
    file_name: z.string().max(500).optional(),
    idempotency_key: z.string().min(1).max(200).optional(),
  })
  .strict();

export type UploadFields = z.infer<typeof uploadFieldsSchema>;

export function parseUploadFields(input: unknown): UploadFields {
  const parsed = uploadFieldsSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new TollgateError('input.invalid', problems);
  }
  if (parsed.data.task && !parsed.data.task_id) throw new TollgateError('input.invalid', 'task: needs task_id');
  return parsed.data;
}
