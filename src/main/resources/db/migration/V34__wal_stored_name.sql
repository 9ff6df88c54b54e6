-- The name a WAL file's bytes are stored under in its repository (and its copies): null for the file's own name,
-- as every file archived before this; else the name of its own (name.<random>) a push stored it under because the
-- name was taken in storage (by a push that lost, or was cut off before it recorded its file). The catalog row
-- decides which stored bytes are the archived file; fetch and verification read exactly those.
alter table wal_file add column stored_name varchar(100);
