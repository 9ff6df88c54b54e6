-- WAL files are stored encoded (zstd by default): the codec each file was stored with (null: stored as is, as
-- every file archived before this) and its size in storage. size_bytes and sha256 stay those of the original
-- file, as PostgreSQL pushed it and as a fetch returns it.
alter table wal_file add column codec varchar(16);
alter table wal_file add column stored_size_bytes bigint;
