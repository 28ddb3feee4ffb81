-- Perceptual hashes per upload and reference banks (issue 3). The in-memory Hamming indexes are
-- derived from these tables: workers stream them in id order at start and then catch up by id
-- watermark, so the bigserial ids (and their primary-key indexes) are what keeps catch-up cheap.

-- One row per hash: `pdq` for an image (frame 0), `vpdq` for each kept frame of a video.
-- pHash/dHash stay in uploads.fingerprints; only PDQ is searched at scale.
CREATE TABLE upload_hashes (
  id bigserial PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  upload_id uuid NOT NULL REFERENCES uploads(id),
  kind text NOT NULL CHECK (kind IN ('pdq', 'vpdq')),
  frame int NOT NULL DEFAULT 0,
  time_s double precision,
  hash text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
  quality int NOT NULL,
  UNIQUE (upload_id, kind, frame)
);
CREATE INDEX upload_hashes_tenant ON upload_hashes (tenant_id, kind, id);

CREATE TABLE banks (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  name text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('internet', 'stock', 'fraud', 'allow')),
  enabled boolean NOT NULL DEFAULT true,
  description text,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, name)
);

-- One row per `bank import` run, so an operator sees what each run added, skipped and failed.
CREATE TABLE bank_imports (
  id uuid PRIMARY KEY,
  bank_id uuid NOT NULL REFERENCES banks(id),
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  source text NOT NULL,
  status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed', 'interrupted')),
  seen int NOT NULL DEFAULT 0,
  added int NOT NULL DEFAULT 0,
  already_present int NOT NULL DEFAULT 0,
  skipped int NOT NULL DEFAULT 0,
  failed int NOT NULL DEFAULT 0,
  error text,
  started_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX bank_imports_bank ON bank_imports (bank_id, started_at DESC);

-- `import_key` is the item's stable key in its source (relative path, URL, WARC record id, CSV row):
-- unique per bank so a resumed or repeated import skips what is there. A video contributes one row
-- per kept frame (frame ≥ 0); a still image or a bare hash is frame -1.
CREATE TABLE bank_entries (
  id bigserial PRIMARY KEY,
  bank_id uuid NOT NULL REFERENCES banks(id),
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  import_id uuid REFERENCES bank_imports(id),
  import_key text NOT NULL,
  frame int NOT NULL DEFAULT -1,
  source_url text,
  source text,
  sha256 text,
  pdq text NOT NULL CHECK (pdq ~ '^[0-9a-f]{64}$'),
  quality int NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (bank_id, import_key, frame)
);
CREATE INDEX bank_entries_bank_id ON bank_entries (bank_id, id);
CREATE INDEX bank_entries_bank_sha256 ON bank_entries (bank_id, sha256);
