-- A copy is written as a new generation beside the one that counts, and replaces it only once read back: the
-- generation that counts (location, generation) and the attempt in progress or failed (attempt_*) are kept apart,
-- so that a failed re-copy leaves the earlier copy COPIED and readable.
alter table backup_copy add column generation integer default 1 not null;
alter table backup_copy add column attempt_status varchar(16);
alter table backup_copy add column attempt_job_id uuid;
alter table backup_copy add column attempt_location varchar(255);
alter table backup_copy add column attempt_detail varchar(4000);
alter table backup_copy add column attempt_finished_at timestamp with time zone;
