-- The WAL's own times: the first and last commit (or abort) record time in each archived segment, as
-- pg_waldump reads them after the push (null until scanned, or when the segment holds no transaction end).
alter table wal_file add column first_commit_at timestamp with time zone;
alter table wal_file add column last_commit_at timestamp with time zone;
alter table wal_file add column scanned_at timestamp with time zone;
alter table wal_file add column scan_note varchar(400);
