import type { FastifyInstance } from 'fastify';
import { audit } from '../../db/audit.ts';
import { enrolFaceFor } from '../../db/faces.ts';
import { isUuid } from '../../db/ids.ts';
import { upsertContributor } from '../../db/parties.ts';
import { openMedia } from '../../media/open.ts';
import { enrolFace } from '../../vision/enrol.ts';
import { tenantOf } from '../auth.ts';
import type { ServerContext } from '../context.ts';
import { notFound } from '../errors.ts';
import { authErrors, errorRef, security } from '../schemas.ts';
import { resolvePartyId } from '../views.ts';
import { readFilePart } from './banks.ts';

/** `PUT /v1/contributors/:id/face`: enrol the contributor's face from a selfie, for `self` tasks. */
export function enrolmentRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { db } = ctx.tollgate;
  app.put<{ Params: { id: string } }>(
    '/v1/contributors/:id/face',
    {
      schema: {
        summary: "Enrol the contributor's face from a selfie",
        description:
          'multipart/form-data with a `file` part: a selfie (image or short video) showing only the contributor. The largest face is enrolled; ' +
          'a selfie with no face, or with two faces of similar size, is refused (400). `:id` is the app\'s contributor id (created if new) or ours.',
        tags: ['parties'],
        security,
        consumes: ['multipart/form-data'],
        params: { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 200 } }, required: ['id'] },
        response: {
          201: {
            type: 'object',
            properties: { enrolment_id: { type: 'string' }, contributor_id: { type: 'string' }, model: { type: 'string' } },
            required: ['enrolment_id', 'contributor_id', 'model'],
          },
          ...authErrors,
          400: errorRef,
          404: errorRef,
          413: errorRef,
        },
      },
    },
    async (request, reply) => {
      const tenant = tenantOf(request);
      // Our id, or the app's external id of an existing contributor; a new external id creates one. An unknown
      // id of ours is a 404, so no tenant can probe or attach to another tenant's contributors.
      const known = await resolvePartyId(db, 'contributors', tenant.id, request.params.id);
      if (!known && isUuid(request.params.id)) throw notFound('contributor');
      const { bytes } = await readFilePart(request);
      const face = await enrolFace(await openMedia(bytes, ctx.tollgate.config.limits));
      const contributorId = known ?? (await upsertContributor(db, tenant.id, request.params.id)).id;
      const enrolmentId = await enrolFaceFor(db, tenant.id, contributorId, face);
      await audit(db, { tenantId: tenant.id, actor: 'api', action: 'contributor.enrol_face', subjectType: 'contributor', subjectId: contributorId, data: { model: face.model } });
      return reply.code(201).send({ enrolment_id: enrolmentId, contributor_id: contributorId, model: face.model });
    },
  );
}
