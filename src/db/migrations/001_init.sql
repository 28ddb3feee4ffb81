-- Tollgate core schema. Every tenant-owned row carries tenant_id, and every query filters on it.

CREATE TABLE tenants (
  id uuid PRIMARY KEY,
  name text NOT NULL UNIQUE,
  webhook_url text,
  webhook_secret text,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  -- SHA-256 of the key; the key itself is shown once and never stored.
  key_hash text NOT NULL UNIQUE,
  prefix text NOT NULL,
  label text,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);

CREATE TABLE contributors (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  external_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, external_id)
);

CREATE TABLE devices (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  external_id text NOT NULL,
  model text,
  os text,
  app_version text,
  first_seen_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, external_id)
);

CREATE TABLE tasks (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  external_id text NOT NULL,
  spec jsonb NOT NULL DEFAULT '{}',
  given_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, external_id)
);

CREATE TABLE uploads (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  sha256 text NOT NULL,
  blob_key text NOT NULL,
  file_name text,
  declared_mime text,
  mime text,
  media_kind text,
  bytes bigint NOT NULL,
  width int,
  height int,
  duration_s double precision,
  contributor_id uuid REFERENCES contributors(id),
  device_id uuid REFERENCES devices(id),
  task_id uuid REFERENCES tasks(id),
  client_ip text,
  captured_at timestamptz,
  received_at timestamptz NOT NULL DEFAULT now(),
  status text NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'processing', 'done', 'error')),
  attempts int NOT NULL DEFAULT 0,
  error_code text,
  error_message text,
  fingerprints jsonb,
  scores jsonb,
  processed_at timestamptz,
  idempotency_key text,
  UNIQUE (tenant_id, idempotency_key)
);
CREATE INDEX uploads_tenant_sha256 ON uploads (tenant_id, sha256);
CREATE INDEX uploads_tenant_received ON uploads (tenant_id, received_at DESC);
CREATE INDEX uploads_contributor ON uploads (contributor_id);

CREATE TABLE signals (
  id bigserial PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  upload_id uuid NOT NULL REFERENCES uploads(id),
  code text NOT NULL,
  score double precision NOT NULL,
  severity text NOT NULL,
  message text NOT NULL,
  evidence jsonb
);
CREATE INDEX signals_upload ON signals (upload_id);
CREATE INDEX signals_tenant_code ON signals (tenant_id, code);

-- One verdict per upload: the primary key is what makes processing exactly-once in effect.
CREATE TABLE verdicts (
  upload_id uuid PRIMARY KEY REFERENCES uploads(id),
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  decision text NOT NULL CHECK (decision IN ('accept', 'review', 'reject')),
  reasons jsonb NOT NULL,
  scores jsonb NOT NULL,
  policy_version int NOT NULL,
  decided_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE policies (
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  version int NOT NULL,
  spec jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, version)
);

CREATE TABLE review_items (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  upload_id uuid NOT NULL UNIQUE REFERENCES uploads(id),
  priority double precision NOT NULL DEFAULT 0,
  reasons jsonb NOT NULL DEFAULT '[]',
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'claimed', 'decided')),
  claimed_by text,
  claim_expires_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX review_items_queue ON review_items (tenant_id, status, priority DESC, created_at);

CREATE TABLE review_decisions (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  review_item_id uuid NOT NULL REFERENCES review_items(id),
  upload_id uuid NOT NULL REFERENCES uploads(id),
  decision text NOT NULL CHECK (decision IN ('accept', 'reject')),
  reviewer text NOT NULL,
  labels jsonb NOT NULL DEFAULT '[]',
  notes text,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_deliveries (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  upload_id uuid REFERENCES uploads(id),
  event text NOT NULL,
  url text NOT NULL,
  payload jsonb NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts int NOT NULL DEFAULT 0,
  last_status int,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz,
  UNIQUE (upload_id, event)
);

CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  tenant_id uuid REFERENCES tenants(id),
  actor text NOT NULL,
  action text NOT NULL,
  subject_type text,
  subject_id text,
  data jsonb,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, at DESC);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
