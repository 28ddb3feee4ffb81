import { taskNeedsVision, type TaskSpec } from '../../tasks/spec.ts';
import { bestMatch } from '../../vision/faces.ts';
import { defaultVisionService, type FrameVision, type VisionResult, type VisionService } from '../../vision/service.ts';
import type { Detector, DetectorContext, Signal } from '../types.ts';
import { taskSpecOf } from './spec-cache.ts';

/**
 * Task requirements that need the vision models: objects that must or must not appear, how many people,
 * and the contributor's own face. The models run only for tasks that ask for one of these.
 */

/** A detection counts as the object being there from this CenterNet score (calibrated in eval/task.ts). */
export const OBJECT_PRESENT_SCORE = 0.35;
/** A forbidden object this sure is rejected even when it shows in fewer frames than `min_object_fraction`. */
export const FORBIDDEN_CERTAIN_SCORE = 0.5;
/**
 * Cosine similarity of faceres descriptors from which two faces count as the same person. Calibrated on
 * the real faces in ../shared/data (eval/task.ts → docs/eval-task.md): same-person pairs from different
 * frames of a video scored 0.63–0.93; 1 of 1160 different-person pairs reached 0.6 (a heavily blurred face).
 */
export const SELF_MATCH_THRESHOLD = 0.6;
/**
 * Below this a mismatch scores 0.9, between it and the match threshold 0.75. Both are `high`: in the
 * calibration no same-person pair scored under 0.6, while different people spread up to it (mean 0.37).
 */
export const SELF_MISMATCH_CERTAIN = 0.45;

interface LabelStats {
  label: string;
  best: number;
  /** Frames where the label is at or above OBJECT_PRESENT_SCORE. */
  frames: number;
}

function labelStats(frames: readonly FrameVision[]): Map<string, LabelStats> {
  const stats = new Map<string, LabelStats>();
  for (const frame of frames) {
    const seen = new Set<string>();
    for (const o of frame.objects) {
      const s = stats.get(o.label) ?? { label: o.label, best: 0, frames: 0 };
      s.best = Math.max(s.best, o.score);
      if (o.score >= OBJECT_PRESENT_SCORE && !seen.has(o.label)) {
        seen.add(o.label);
        s.frames++;
      }
      stats.set(o.label, s);
    }
  }
  return stats;
}

const fmtScore = (x: number): string => x.toFixed(2);
const frameWord = (n: number): string => (n === 1 ? 'frame' : 'frames');

/** "dog (0.82), bicycle (0.49)": what the reviewer would see instead. */
function foundList(stats: Map<string, LabelStats>, except: string): string {
  const found = [...stats.values()].filter((s) => s.label !== except && s.frames > 0).sort((a, b) => b.best - a.best).slice(0, 4);
  return found.length > 0 ? found.map((s) => `${s.label} (${fmtScore(s.best)})`).join(', ') : 'nothing recognisable';
}

function objects(spec: TaskSpec, result: VisionResult): Signal[] {
  const stats = labelStats(result.frames);
  const total = result.frames.length;
  const out: Signal[] = [];
  const needed = Math.max(1, Math.ceil(spec.min_object_fraction * total - 1e-9));
  const summary = [...stats.values()].map((s) => ({ label: s.label, best: s.best, frames: s.frames }));
  for (const label of spec.require_objects) {
    const s = stats.get(label);
    const frames = s?.frames ?? 0;
    if (frames >= needed) continue;
    const evidence = { required: label, frames_with_object: frames, frames_analysed: total, frames_needed: needed, best_score: s?.best ?? 0, found: summary };
    if (frames === 0) {
      const weak = s ? `, no ${label} (best guess ${fmtScore(s.best)}, below ${OBJECT_PRESENT_SCORE})` : `, no ${label}`;
      out.push({ code: 'task.missing_object', score: 0.9, severity: 'high', message: `task needs a ${label}; found: ${foundList(stats, label)}${weak}`, evidence });
    } else {
      out.push({ code: 'task.missing_object', score: 0.6, severity: 'medium', message: `task needs a ${label} throughout; it shows in ${frames} of ${total} ${frameWord(total)} (needs ${needed})`, evidence });
    }
  }
  for (const label of spec.forbid_objects) {
    const s = stats.get(label);
    if (!s || s.frames === 0) continue;
    const certain = s.frames >= needed || s.best >= FORBIDDEN_CERTAIN_SCORE;
    out.push({
      code: 'task.forbidden_object',
      score: certain ? 0.9 : 0.6,
      severity: certain ? 'high' : 'medium',
      message: `task forbids a ${label}; found ${label} (${fmtScore(s.best)})${total > 1 ? ` in ${s.frames} of ${total} frames` : ''}`,
      evidence: { forbidden: label, best_score: s.best, frames_with_object: s.frames, frames_analysed: total },
    });
  }
  return out;
}

function people(spec: TaskSpec, result: VisionResult): Signal[] {
  if (spec.max_people === undefined) return [];
  // A person box and a face are the same evidence seen two ways: count whichever sees more per frame.
  const counts = result.frames.map((f) => Math.max(f.objects.filter((o) => o.label === 'person' && o.score >= OBJECT_PRESENT_SCORE).length, f.faces.length));
  const most = Math.max(0, ...counts);
  if (most <= spec.max_people) return [];
  const at = counts.indexOf(most);
  const where = result.frames.length > 1 ? ` in the frame at ${result.frames[at]?.timeS.toFixed(1)} s` : '';
  return [{
    code: 'task.too_many_people',
    score: 0.8,
    severity: 'high',
    message: `task allows at most ${spec.max_people} ${spec.max_people === 1 ? 'person' : 'people'}; found ${most}${where}`,
    evidence: { max_people: spec.max_people, people: most, per_frame: counts },
  }];
}

async function self(spec: TaskSpec, result: VisionResult, context: DetectorContext): Promise<Signal[]> {
  if (!spec.self) return [];
  const probes = result.frames.flatMap((f) => f.faces.flatMap((face) => (face.descriptor ? [face.descriptor] : [])));
  const total = result.frames.length;
  if (probes.length === 0) {
    return [{ code: 'task.self_missing', score: 0.9, severity: 'high', message: `task asks for the contributor's own face; no face found in ${total} ${frameWord(total)}`, evidence: { frames_analysed: total } }];
  }
  const contributor = context.upload.contributorId;
  const enrolled = contributor && context.lookups.enrolledFaces ? await context.lookups.enrolledFaces(contributor) : [];
  const usable = enrolled.filter((e) => e.model === result.model).map((e) => e.descriptor);
  if (usable.length === 0) {
    const why = !contributor ? 'the upload names no contributor' : enrolled.length > 0 ? `the enrolled face was made with another model (${enrolled[0]?.model})` : 'the contributor has no enrolled face';
    return [{ code: 'task.self_not_enrolled', score: 0.5, severity: 'medium', message: `task asks for the contributor's own face; a face was found but cannot be checked: ${why}`, evidence: { faces: probes.length, contributor: contributor ?? null } }];
  }
  const similarity = bestMatch(probes, usable);
  if (similarity >= SELF_MATCH_THRESHOLD) return [];
  return [{
    code: 'task.self_mismatch',
    score: similarity < SELF_MISMATCH_CERTAIN ? 0.9 : 0.75,
    severity: 'high',
    message: `the face in the upload does not match the contributor's enrolled face (similarity ${fmtScore(similarity)} < ${SELF_MATCH_THRESHOLD})`,
    evidence: { similarity: Math.round(similarity * 1000) / 1000, threshold: SELF_MATCH_THRESHOLD, faces: probes.length, enrolled: usable.length, model: result.model },
  }];
}

export const TASK_VISION_CODES = ['task.missing_object', 'task.forbidden_object', 'task.too_many_people', 'task.self_missing', 'task.self_mismatch', 'task.self_not_enrolled'] as const;

/** `service` is injectable so tests can count model runs; by default the process-wide service. */
export function createTaskVisionDetector(service: () => VisionService = defaultVisionService): Detector {
  return {
    name: 'task.vision',
    codes: TASK_VISION_CODES,
    kinds: ['image', 'video'],
    // The first upload of a process also loads the models; later ones take ~0.2 s per analysed frame.
    timeoutMs: 120_000,
    async detect(view, context) {
      const spec = taskSpecOf(context.upload);
      if (!spec || !taskNeedsVision(spec)) return [];
      // Only the models the task's fields use: a `self`-only task skips CenterNet (most of the cost).
      const needs = { objects: spec.require_objects.length > 0 || spec.forbid_objects.length > 0 || spec.max_people !== undefined, faces: spec.self || spec.max_people !== undefined };
      const result = await service().analyse(view, context.abort, needs);
      if (result.frames.length === 0) return [];
      return [...objects(spec, result), ...people(spec, result), ...(await self(spec, result, context))];
    },
  };
}

export const taskVisionDetector: Detector = createTaskVisionDetector();
