-- The retention policy and time zone of the schedule that took a backup, as they were when it was taken:
-- deleting or editing the schedule no longer hands its backups to another (stricter) policy silently.
-- Null: the cluster's policy governs the backup. A cluster's own policy gets a time zone for its days.
alter table backup add column retention_policy varchar(1000);
alter table backup add column retention_time_zone varchar(100);
update backup set retention_policy = (select s.retention from schedule s where s.id = backup.schedule_id),
    retention_time_zone = (select s.time_zone from schedule s where s.id = backup.schedule_id)
    where schedule_id is not null;
update backup set retention_time_zone = null where retention_policy is null;
alter table cluster add column time_zone varchar(100) default 'UTC' not null;
