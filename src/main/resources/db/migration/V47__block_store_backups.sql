-- BASE backups in the block store (format BLOCKS): the type as taken (FULL, DIFF, INCR), the backup it builds on,
-- and the bytes it restores; size_bytes stays what the backup added to its repository.
alter table backup add column backup_type varchar(8);
alter table backup add column reference_id uuid;
alter table backup add column data_size_bytes bigint;
