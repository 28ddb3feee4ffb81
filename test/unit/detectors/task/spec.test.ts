import { describe, expect, it } from 'vitest';
import { TollgateError } from '../../../../src/errors.ts';
import { closeCocoLabels, COCO_LABELS } from '../../../../src/tasks/coco.ts';
import { parseTaskSpec, taskNeedsVision } from '../../../../src/tasks/spec.ts';

function problems(input: unknown): { path: string; message: string }[] {
  try {
    parseTaskSpec(input);
  } catch (error) {
    expect(error).toBeInstanceOf(TollgateError);
    expect((error as TollgateError).code).toBe('input.invalid');
    return (error as TollgateError).details?.['problems'] as { path: string; message: string }[];
  }
  throw new Error('expected the spec to be rejected');
}

describe('task spec', () => {
  it('parses the trash example with defaults', () => {
    const spec = parseTaskSpec({ media: 'video', min_duration_s: 3, require_objects: ['person'], text: 'a video of yourself taking out the trash' });
    expect(spec).toMatchObject({ media: 'video', min_duration_s: 3, require_objects: ['person'], forbid_objects: [], min_object_fraction: 0.3, self: false, orientation: 'any' });
    expect(taskNeedsVision(spec)).toBe(true);
    expect(taskNeedsVision(parseTaskSpec({ media: 'image', min_width: 1000 }))).toBe(false);
  });

  it('accepts every field', () => {
    const spec = parseTaskSpec({
      media: 'any', min_duration_s: 1, max_duration_s: 60, min_width: 640, min_height: 480, orientation: 'portrait',
      require_objects: ['person', 'dog'], forbid_objects: ['cell phone'], min_object_fraction: 0.5, self: true, max_people: 1,
      captured_after: '2026-11-20T00:00:00Z', near: { lat: 48.85, lon: 2.29, radius_km: 5 }, text: 'x', given_at: '2026-11-19T08:00:00+01:00',
    });
    expect(spec.near?.radius_km).toBe(5);
  });

  it('names the path of every problem and suggests close COCO labels', () => {
    const found = problems({ require_objects: ['persn', 'phone'], forbid_objects: ['xyzzyq'], near: { lat: 91, lon: 0 }, min_duration: 3, captured_after: 'yesterday' });
    const byPath = Object.fromEntries(found.map((p) => [p.path, p.message]));
    expect(byPath['require_objects.0']).toContain('did you mean "person"');
    expect(byPath['require_objects.1']).toContain('"cell phone"');
    expect(byPath['forbid_objects.0']).toContain('80 COCO labels');
    expect(byPath['near.lat']).toBeDefined();
    expect(byPath['near.radius_km']).toBeDefined();
    expect(byPath['captured_after']).toContain('ISO 8601');
    expect(byPath['(root)']).toBe('unknown field "min_duration" (did you mean "min_duration_s"?)');
  });

  it('rejects contradictions', () => {
    expect(problems({ min_duration_s: 10, max_duration_s: 5 }).map((p) => p.path)).toContain('max_duration_s');
    expect(problems({ media: 'image', min_duration_s: 3 }).map((p) => p.path)).toContain('media');
    expect(problems({ require_objects: ['dog'], forbid_objects: ['dog'] }).map((p) => p.path)).toContain('forbid_objects');
    expect(problems({ media: 'audio' }).map((p) => p.path)).toContain('media');
    expect(problems({ min_object_fraction: 0 }).map((p) => p.path)).toContain('min_object_fraction');
    expect(problems('a video').map((p) => p.path)).toContain('(root)');
  });

  it('has the 80 COCO labels and finds near misses', () => {
    expect(COCO_LABELS).toHaveLength(80);
    expect(new Set(COCO_LABELS).size).toBe(80);
    expect(closeCocoLabels('hotdog')).toContain('hot dog');
    expect(closeCocoLabels('television')).toEqual([]);
    expect(closeCocoLabels('Dog')).toEqual(['dog', 'hot dog']);
  });
});
