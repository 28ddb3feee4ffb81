import type { MediaView } from '../../media/types.ts';
import type { TaskSpec } from '../../tasks/spec.ts';
import type { Detector, DetectorContext, Signal } from '../types.ts';
import { captureLocationOf, captureTimeOf, haversineKm } from './capture.ts';
import { captureThreshold, taskSpecOf } from './spec-cache.ts';

/**
 * Task requirements that need no model: media type, duration, size, orientation, capture time and place.
 * An unmet requirement is a fact read from the file, so it scores 1 and is `high` (the default policy
 * rejects `task.*` at high); a requirement that cannot be checked (no capture time, no GPS) is `medium`,
 * so a person looks at it.
 */

function unmet(code: string, message: string, evidence: Record<string, unknown>): Signal {
  return { code, score: 1, severity: 'high', message, evidence };
}

function unknown(code: string, message: string, evidence: Record<string, unknown>): Signal {
  return { code, score: 0.5, severity: 'medium', message, evidence };
}

const fmtS = (s: number): string => `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
const fmtTime = (d: Date): string => d.toISOString().replace('.000Z', 'Z');

function shape(view: MediaView, spec: TaskSpec): Signal[] {
  const { kind, format, width, height, durationS } = view.info;
  const out: Signal[] = [];
  if (spec.media !== 'any' && spec.media !== kind) {
    out.push(unmet('task.wrong_media', `task asks for ${spec.media === 'video' ? 'a video' : 'a photo'}; this is ${kind === 'video' ? 'a video' : 'a still image'} (${format})`, { required: spec.media, actual: kind, format }));
  }
  if (kind === 'video' && durationS !== undefined) {
    if (spec.min_duration_s !== undefined && durationS < spec.min_duration_s) {
      out.push(unmet('task.too_short', `task asks for at least ${fmtS(spec.min_duration_s)} of video; this one is ${fmtS(durationS)}`, { duration_s: durationS, min_duration_s: spec.min_duration_s }));
    }
    if (spec.max_duration_s !== undefined && durationS > spec.max_duration_s) {
      out.push(unmet('task.too_long', `task asks for at most ${fmtS(spec.max_duration_s)} of video; this one is ${fmtS(durationS)}`, { duration_s: durationS, max_duration_s: spec.max_duration_s }));
    }
  }
  const narrow = spec.min_width !== undefined && width < spec.min_width;
  const short = spec.min_height !== undefined && height < spec.min_height;
  if (narrow || short) {
    const needed = `${spec.min_width ?? 'any'}×${spec.min_height ?? 'any'}`;
    out.push(unmet('task.too_small', `task asks for at least ${needed} px; this ${kind} is ${width}×${height}`, { width, height, min_width: spec.min_width, min_height: spec.min_height }));
  }
  // Square frames satisfy either orientation: the contributor could not have held the phone "wrong".
  const wrongWay = (spec.orientation === 'portrait' && width > height) || (spec.orientation === 'landscape' && height > width);
  if (wrongWay) {
    out.push(unmet('task.wrong_orientation', `task asks for ${spec.orientation}; this ${kind} is ${width > height ? 'landscape' : 'portrait'} (${width}×${height})`, { orientation: spec.orientation, width, height }));
  }
  return out;
}

async function when(view: MediaView, spec: TaskSpec, context: DetectorContext): Promise<Signal[]> {
  const threshold = captureThreshold(spec, context.upload);
  if (!threshold) return [];
  const capture = captureTimeOf(await view.metadata());
  const after = fmtTime(threshold.at);
  if (!capture) {
    return [unknown('task.no_capture_time', `task asks for a capture after ${after} (${threshold.source}); the ${view.info.kind} records no capture time`, { required_after: after })];
  }
  const evidence = { captured: capture.raw, source: capture.source, required_after: after, threshold_source: threshold.source };
  if (capture.latest < threshold.at) {
    const days = (threshold.at.getTime() - capture.latest.getTime()) / 86_400_000;
    const gap = days >= 2 ? `${Math.round(days)} days` : `${Math.max(1, Math.round(days * 24))} h`;
    return [unmet('task.captured_before', `captured ${capture.raw} (${capture.source}), ${gap} before the task (${threshold.source} ${after})`, evidence)];
  }
  if (capture.earliest < threshold.at) {
    // The file gives a wall-clock time without a zone: it may be before or after, depending on where it was taken.
    return [{ code: 'task.captured_before', score: 0.5, severity: 'medium', message: `captured ${capture.raw} (${capture.source}, no time zone): may be before the task (${threshold.source} ${after})`, evidence }];
  }
  return [];
}

async function where(view: MediaView, spec: TaskSpec): Promise<Signal[]> {
  const near = spec.near;
  if (!near) return [];
  const at = captureLocationOf(await view.metadata());
  const target = `${near.lat.toFixed(4)}, ${near.lon.toFixed(4)}`;
  if (!at) return [unknown('task.no_location', `task asks for a capture within ${near.radius_km} km of ${target}; the ${view.info.kind} has no GPS location`, { near })];
  const km = haversineKm(near, at);
  if (km <= near.radius_km) return [];
  const distance = km < 10 ? `${km.toFixed(1)} km` : `${Math.round(km)} km`;
  return [unmet('task.outside_area', `captured ${distance} from the task location (${target}); the task allows ${near.radius_km} km`, { lat: at.lat, lon: at.lon, source: at.source, distance_km: Math.round(km * 1000) / 1000, near })];
}

export const TASK_STRUCTURE_CODES = [
  'task.wrong_media', 'task.too_short', 'task.too_long', 'task.too_small', 'task.wrong_orientation',
  'task.captured_before', 'task.no_capture_time', 'task.outside_area', 'task.no_location',
] as const;

export const taskStructureDetector: Detector = {
  name: 'task.structure',
  codes: TASK_STRUCTURE_CODES,
  kinds: ['image', 'video'],
  async detect(view, context) {
    const spec = taskSpecOf(context.upload);
    if (!spec) return [];
    return [...shape(view, spec), ...(await when(view, spec, context)), ...(await where(view, spec))];
  },
};
