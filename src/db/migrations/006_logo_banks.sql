-- Logo banks (issue 6, copyright.logo): a tenant's library of logos, matched by local features inside
-- uploads rather than as whole pictures, so ref.match leaves them to the copyright family.
ALTER TABLE banks DROP CONSTRAINT banks_kind_check;
ALTER TABLE banks ADD CONSTRAINT banks_kind_check CHECK (kind IN ('internet', 'stock', 'fraud', 'allow', 'logo'));
