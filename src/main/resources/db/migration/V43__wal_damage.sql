-- What pg_waldump found when a segment's records do not decode (a record CRC that fails, an invalid length
-- before the segment's end): replay would stop there. Null when the segment decoded, or was not read yet.
alter table wal_file add column damage varchar(400);
