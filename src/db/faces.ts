import type { EnrolledFace } from '../detectors/types.ts';
import type { Queryable } from './database.ts';
import { newId } from './ids.ts';

export async function enrolFaceFor(db: Queryable, tenantId: string, contributorId: string, face: EnrolledFace): Promise<string> {
  const id = newId();
  await db.query('INSERT INTO face_enrolments (id, tenant_id, contributor_id, model, descriptor) VALUES ($1, $2, $3, $4, $5)', [
    id,
    tenantId,
    contributorId,
    face.model,
    JSON.stringify(face.descriptor),
  ]);
  return id;
}

/** The contributor's enrolled faces, newest first (a few: re-enrolment adds, it never edits). */
export async function enrolledFacesOf(db: Queryable, tenantId: string, contributorId: string): Promise<EnrolledFace[]> {
  const rows = await db.query<{ model: string; descriptor: number[]; created_at: Date }>(
    'SELECT model, descriptor, created_at FROM face_enrolments WHERE tenant_id = $1 AND contributor_id = $2 ORDER BY created_at DESC LIMIT 5',
    [tenantId, contributorId],
  );
  return rows.map((r) => ({ model: r.model, descriptor: r.descriptor, enrolledAt: new Date(r.created_at) }));
}
