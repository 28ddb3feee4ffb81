-- Indexes for reads that scanned a whole tenant (or table) once the store grew (`npm run bench -- store`).
-- The upload list filtered by contributor, device or task walks that party's uploads newest first instead
-- of the tenant's; an upload's view finds its review decisions without reading them all. Status gets no
-- index on purpose: a worker changes it twice per upload, and an indexed column would make those updates
-- non-HOT (they are HOT for most uploads now).

-- The tenant's newest first, ties by id: the page's whole ORDER BY, so no sort step after the index.
DROP INDEX uploads_tenant_received;
CREATE INDEX uploads_tenant_received ON uploads (tenant_id, received_at DESC, id DESC);
DROP INDEX uploads_contributor;
CREATE INDEX uploads_contributor_received ON uploads (contributor_id, received_at DESC, id DESC);
CREATE INDEX uploads_device_received ON uploads (device_id, received_at DESC, id DESC) WHERE device_id IS NOT NULL;
CREATE INDEX uploads_task_received ON uploads (task_id, received_at DESC, id DESC) WHERE task_id IS NOT NULL;
CREATE INDEX review_decisions_upload ON review_decisions (upload_id);
