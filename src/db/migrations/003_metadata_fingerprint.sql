-- meta.cloned_metadata asks for earlier uploads with the same camera-metadata fingerprint, which the
-- meta.summary signal carries in its evidence.
CREATE INDEX signals_metadata_fingerprint ON signals (tenant_id, (evidence->>'fingerprint')) WHERE code = 'meta.summary';
