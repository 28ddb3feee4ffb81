-- Faces contributors enrolled (a selfie through the API), for `self` tasks. A descriptor belongs to the
-- model that made it: descriptors of different models are never compared.
CREATE TABLE face_enrolments (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  contributor_id uuid NOT NULL REFERENCES contributors(id),
  model text NOT NULL,
  descriptor jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX face_enrolments_contributor ON face_enrolments (tenant_id, contributor_id, created_at DESC);
