-- An upload the process that ingested it runs itself (JobQueue.reserveUpload) has no queue job: this row,
-- inserted in the ingest's commit and deleted in the verdict's, is its guarantee instead. A hold outlives its
-- lease only when its process died (or kept it too long); any upload consumer's sweep then deletes it and
-- queues the upload in one transaction (src/jobs/holds.ts). A pg-boss job for the same guarantee is a routed
-- insert into the partitioned job table with its indexes, then a delete: measured ad hoc on one ingest at a
-- time, the job added 0.18-0.45 ms of PostgreSQL CPU to the ingest's batch, a hold 0.03-0.17 ms.
-- The table stays as small as the uploads held at once; its rows are never updated, and it has no foreign
-- key, whose check would cost each hold a lookup in uploads (the hold commits in the upload's own batch).
CREATE TABLE upload_holds (
  upload_id uuid PRIMARY KEY,
  expires_at timestamptz NOT NULL
);
