import { z } from 'zod';
import type { ContentCheck } from '../detectors/types.ts';
import { TollgateError } from '../errors.ts';

export const DECISIONS = ['accept', 'review', 'reject'] as const;
export type Decision = (typeof DECISIONS)[number];
export const SCORE_NAMES = ['ai_generated', 'tampering', 'copyright_risk', 'duplicate', 'quality'] as const;
export type ScoreName = (typeof SCORE_NAMES)[number];

const action = z.enum(['accept', 'review', 'reject', 'ignore']);
export type RuleAction = z.infer<typeof action>;
const severity = z.enum(['info', 'low', 'medium', 'high', 'critical']);

const rule = z
  .object({
    /** A signal code (`dup.exact`) or a family wildcard (`meta.*`). */
    match: z.string().regex(/^[a-z_]+(\.[a-z_*]+)*$/, 'match must be a signal code like "dup.exact" or a wildcard like "meta.*"'),
    min_score: z.number().min(0).max(1).optional(),
    min_severity: severity.optional(),
    /** Every key must equal the signal's evidence value (e.g. `{ "same_contributor": false }`). */
    evidence: z.record(z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
    action,
  })
  .strict();

const threshold = z.object({ review: z.number().min(0).max(1).optional(), reject: z.number().min(0).max(1).optional() }).strict();

export const policySpecSchema = z
  .object({
    /** Evaluated in order; the first rule that matches a signal decides its action. */
    rules: z.array(rule).default([]),
    /** Action for signals no rule matched, by severity. */
    severity_actions: z.record(severity, action).default({}),
    /** Combined scores that trigger a decision on their own. `quality` is inverted: below `review`/`reject` triggers. */
    score_thresholds: z.record(z.enum(SCORE_NAMES), threshold).default({}),
    /** What to do with an upload whose bytes could not be read, by error code (`media.corrupt`) or `default`. */
    media_errors: z.record(z.string(), z.enum(DECISIONS)).default({}),
    /** Content checks this tenant wants run (absent: the deployment's default, `TOLLGATE_NSFW=on` or not). */
    checks: z.object({ nsfw: z.boolean().optional() }).strict().default({}),
  })
  .strict();

export type PolicySpec = z.infer<typeof policySpecSchema>;
export type PolicyRule = z.infer<typeof rule>;

/** A policy as the evaluator uses it: the tenant's overrides merged over the defaults. */
export interface Policy {
  version: number;
  rules: PolicyRule[];
  severityActions: Record<z.infer<typeof severity>, RuleAction>;
  scoreThresholds: Partial<Record<ScoreName, { review?: number; reject?: number }>>;
  mediaErrors: Record<string, Decision>;
  /** Which content checks the pipeline runs for this tenant. */
  checks: Record<ContentCheck, boolean>;
}

/** What the deployment decides for tenants that say nothing: which content checks run by default. */
export interface PolicyDefaults {
  checks: Record<ContentCheck, boolean>;
}

export const NO_CONTENT_CHECKS: PolicyDefaults = { checks: { nsfw: false } };

export const DEFAULT_POLICY_SPEC: PolicySpec = {
  rules: [
    { match: 'meta.summary', action: 'ignore' },
    { match: 'provenance.*', action: 'ignore' },
    { match: 'dup.exact', evidence: { same_contributor: false }, action: 'reject' },
    { match: 'dup.exact', action: 'reject' },
    { match: 'dup.cross_account', action: 'reject' },
    // A contributor's own re-upload may be a legitimate retry; a person decides.
    { match: 'dup.near', action: 'review' },
    { match: 'dup.video_near', evidence: { same_contributor: false }, action: 'reject' },
    { match: 'dup.video_near', action: 'review' },
    { match: 'ref.match', evidence: { bank_kind: 'allow' }, action: 'ignore' },
    { match: 'ref.match', action: 'reject' },
    // An agency's watermark or a stock-bank match: the contributor did not take the photo. Rights metadata
    // naming someone may be the contributor's own (a photographer's Lightroom template): a person decides.
    { match: 'copyright.watermark_text', min_severity: 'high', action: 'reject' },
    { match: 'copyright.stock_match', action: 'reject' },
    // A logo in a photo may be a branded product the contributor really shot: a person decides.
    { match: 'copyright.logo', action: 'review' },
    { match: 'copyright.rights_metadata', min_severity: 'medium', action: 'review' },
    { match: 'quality.blank', min_score: 0.5, action: 'reject' },
    { match: 'quality.too_small', min_score: 0.5, action: 'reject' },
    // An unmet task requirement read from the file or seen by the models; unverifiable ones are medium → review.
    { match: 'task.*', min_severity: 'high', action: 'reject' },
    { match: 'system.*', action: 'review' },
  ],
  severity_actions: { info: 'ignore', low: 'accept', medium: 'review', high: 'review', critical: 'reject' },
  score_thresholds: { ai_generated: { review: 0.5, reject: 0.95 } },
  media_errors: {
    'media.empty': 'reject',
    'media.archive': 'reject',
    'media.active_content': 'reject',
    'media.unsupported_type': 'reject',
    'media.too_large': 'reject',
    'media.too_many_pixels': 'reject',
    'media.too_long': 'reject',
    default: 'review',
  },
  checks: {},
};

export function parsePolicySpec(input: unknown): PolicySpec {
  const parsed = policySpecSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new TollgateError('input.invalid', `invalid policy: ${problems}`);
  }
  return parsed.data;
}

/** Tenant rules run before the defaults; thresholds, actions and checks override key by key. */
export function buildPolicy(version: number, override?: PolicySpec, defaults: PolicyDefaults = NO_CONTENT_CHECKS): Policy {
  const base = DEFAULT_POLICY_SPEC;
  return {
    checks: { ...defaults.checks, ...override?.checks },
    version,
    rules: [...(override?.rules ?? []), ...base.rules],
    severityActions: { ...base.severity_actions, ...override?.severity_actions } as Policy['severityActions'],
    scoreThresholds: { ...base.score_thresholds, ...override?.score_thresholds },
    mediaErrors: { ...base.media_errors, ...override?.media_errors },
  };
}

export const DEFAULT_POLICY: Policy = buildPolicy(0);
