-- The WAL a recovered copy's token may fetch (timelines and segment range, see recovery/WalScope); null for
-- tokens issued before: they fetch their cluster's WAL as they did, until they expire.
alter table copy_token add column wal_scope varchar(1000);
