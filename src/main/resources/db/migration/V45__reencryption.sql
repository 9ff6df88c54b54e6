-- Re-encryption under the current key (issue 22). A backup's own files move as a whole to a new generation
-- beside the old one ({location}.g<n>, as copies do), recorded in backup.location; nothing new is needed for them.
-- A copy records the key its files were written with (null: not recorded, as for every copy made before this;
-- the re-encryption reads the objects' first line then). A WAL file's copy in another repository records the name
-- its bytes are stored under there (null: the file's own stored name, as for every copy made before this) and
-- its key: re-encrypting the file in its own repository gives it a new stored name there, not in the copies'.
alter table backup_copy add column key_id varchar(16);
alter table wal_copy add column stored_name varchar(100);
alter table wal_copy add column key_id varchar(16);
