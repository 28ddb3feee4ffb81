-- Room on each page of uploads for its rows' verdict update. A row is inserted small and updated once, with
-- its fingerprints and scores, a few hundred milliseconds later; on full pages (the default fillfactor 100)
-- about half of those updates could not stay on the row's page, so each wrote a new entry into all seven of
-- the table's indexes. With a fifth of each page left free they stay HOT. Pages written before keep theirs.
ALTER TABLE uploads SET (fillfactor = 70);
