-- Backups and WAL files live in a named repository (pgvault.repositories.<name>). Everything stored before
-- repositories existed is in the local one at the storage root, which is named "local"; a cluster that names
-- no repository uses the default one (pgvault.repository).
alter table backup add column repository varchar(63);
update backup set repository = 'local';
alter table wal_file add column repository varchar(63);
update wal_file set repository = 'local';
alter table cluster add column repository varchar(63);
