import type { Severity, Signal } from '../detectors/types.ts';
import { combineScores, type Scores } from './scores.ts';
import { DECISIONS, SCORE_NAMES, type Decision, type Policy, type PolicyRule, type RuleAction } from './spec.ts';

export interface Verdict {
  decision: Decision;
  /** Signal codes (and `score.*` names) that led to the decision, strongest first. */
  reasons: string[];
  policy_version: number;
}

const SEVERITY_RANK: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };
const DECISION_RANK: Record<Decision, number> = { accept: 0, review: 1, reject: 2 };

function matches(rule: PolicyRule, signal: Signal): boolean {
  const pattern = rule.match;
  const codeMatches = pattern.endsWith('.*') ? signal.code.startsWith(pattern.slice(0, -1)) : signal.code === pattern;
  if (!codeMatches) return false;
  if (rule.min_score !== undefined && signal.score < rule.min_score) return false;
  if (rule.min_severity !== undefined && SEVERITY_RANK[signal.severity] < SEVERITY_RANK[rule.min_severity]) return false;
  if (rule.evidence) {
    for (const [key, value] of Object.entries(rule.evidence)) if (signal.evidence?.[key] !== value) return false;
  }
  return true;
}

export function actionFor(policy: Policy, signal: Signal): RuleAction {
  const rule = policy.rules.find((r) => matches(r, signal));
  return rule ? rule.action : policy.severityActions[signal.severity];
}

export function evaluate(policy: Policy, signals: readonly Signal[]): { verdict: Verdict; scores: Scores } {
  const scores = combineScores(signals);
  const triggered: Array<{ reason: string; decision: Decision; weight: number }> = [];
  for (const signal of signals) {
    const action = actionFor(policy, signal);
    if (action === 'review' || action === 'reject') {
      triggered.push({ reason: signal.code, decision: action, weight: SEVERITY_RANK[signal.severity] + signal.score });
    }
  }
  for (const name of SCORE_NAMES) {
    const threshold = policy.scoreThresholds[name];
    if (!threshold) continue;
    // quality is "goodness": a low value is the problem.
    const risk = name === 'quality' ? 1 - scores[name] : scores[name];
    const limit = (t: number | undefined) => (t === undefined ? undefined : name === 'quality' ? 1 - t : t);
    const reject = limit(threshold.reject);
    const review = limit(threshold.review);
    if (reject !== undefined && risk >= reject) triggered.push({ reason: `score.${name}`, decision: 'reject', weight: 5 + risk });
    else if (review !== undefined && risk >= review) triggered.push({ reason: `score.${name}`, decision: 'review', weight: 2 + risk });
  }
  const decision = triggered.reduce<Decision>((worst, t) => (DECISION_RANK[t.decision] > DECISION_RANK[worst] ? t.decision : worst), 'accept');
  const reasons = [...triggered]
    .sort((a, b) => DECISION_RANK[b.decision] - DECISION_RANK[a.decision] || b.weight - a.weight)
    .map((t) => t.reason)
    .filter((reason, i, all) => all.indexOf(reason) === i);
  return { verdict: { decision, reasons, policy_version: policy.version }, scores };
}

/** The verdict for an upload whose bytes could not be analysed. */
export function verdictForMediaError(policy: Policy, errorCode: string): Verdict {
  const decision = policy.mediaErrors[errorCode] ?? policy.mediaErrors['default'] ?? 'review';
  return { decision: DECISIONS.includes(decision) ? decision : 'review', reasons: [errorCode], policy_version: policy.version };
}
