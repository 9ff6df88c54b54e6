-- The host whose pgvault instance made the copy (the recovery job's host): only an instance there can see whether
-- the copy's data directory still holds it; null for tokens issued before this (their job's placement or owner
-- instance tells).
alter table copy_token add column host varchar(255);
