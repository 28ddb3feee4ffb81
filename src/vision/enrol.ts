import type { EnrolledFace } from '../detectors/types.ts';
import { TollgateError } from '../errors.ts';
import type { MediaView } from '../media/types.ts';
import { defaultVisionService, type DetectedFace, type VisionService } from './service.ts';

/** A second face at least this fraction of the largest one's area makes the selfie ambiguous. */
const AMBIGUOUS_AREA_RATIO = 0.5;

/**
 * The descriptor to enrol from a selfie (image or short video): the largest face. A selfie with no face,
 * or with two faces of similar size (whose face is it?), is refused with `input.invalid`.
 * Storing the descriptor is the caller's job (the store side of enrolment is a follow-up).
 */
export async function enrolFace(view: MediaView, service: VisionService = defaultVisionService()): Promise<EnrolledFace> {
  const result = await service.analyse(view);
  const faces = result.frames.flatMap((f) => f.faces.filter((face): face is DetectedFace & { descriptor: number[] } => face.descriptor !== undefined));
  if (faces.length === 0) throw new TollgateError('input.invalid', 'no face found in the enrolment selfie');
  const area = (f: DetectedFace): number => f.box[2] * f.box[3];
  // Per frame, one person should dominate; across frames we keep the single largest face.
  for (const frame of result.frames) {
    const sizes = frame.faces.map(area).sort((a, b) => b - a);
    if (sizes.length > 1 && sizes[1]! >= AMBIGUOUS_AREA_RATIO * sizes[0]!) {
      throw new TollgateError('input.invalid', `the enrolment selfie shows ${sizes.length} faces of similar size; it must show only the contributor`);
    }
  }
  const largest = faces.reduce((a, b) => (area(b) > area(a) ? b : a));
  return { descriptor: largest.descriptor, model: result.model, enrolledAt: new Date() };
}
