-- A cluster's retention policy (see RetentionPolicy); all null keeps everything.
alter table cluster add column retention_keep_last int;
alter table cluster add column retention_keep_days int;
alter table cluster add column retention_daily int;
alter table cluster add column retention_weekly int;
alter table cluster add column retention_monthly int;
