-- Files in an encrypted repository: the size and SHA-256 of the stored (encrypted) bytes, which a CHECKSUM
-- verification checks without a key, and the id of the key that encrypted them. Null where files are stored
-- as they are (size_bytes and sha256 then describe the stored bytes too).
alter table backup_file add column stored_size_bytes bigint;
alter table backup_file add column stored_sha256 varchar(64);
alter table backup_file add column key_id varchar(16);
alter table wal_file add column key_id varchar(16);
