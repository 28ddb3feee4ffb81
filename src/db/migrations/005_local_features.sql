-- Local features (issue 3's second matcher): keypoints with 256-bit binary descriptors, one row per
-- image upload and per still-image bank entry, in the binary format of src/fingerprint/keypoints/format.ts
-- (~48 bytes a keypoint, at most a few hundred per image). The in-memory descriptor index is derived
-- from these tables exactly as the PDQ index is from upload_hashes and bank_entries: streamed in id
-- order at start, then caught up by id watermark.
CREATE TABLE upload_keypoints (
  id bigserial PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  upload_id uuid NOT NULL UNIQUE REFERENCES uploads(id),
  data bytea NOT NULL
);
CREATE INDEX upload_keypoints_tenant ON upload_keypoints (tenant_id, id);

CREATE TABLE bank_entry_keypoints (
  id bigserial PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  entry_id bigint NOT NULL UNIQUE REFERENCES bank_entries(id),
  data bytea NOT NULL
);
CREATE INDEX bank_entry_keypoints_tenant ON bank_entry_keypoints (tenant_id, id);
