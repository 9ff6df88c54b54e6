-- the due time of the scheduled run that queued a backup (null: started by hand, or run now)
alter table backup add column scheduled_for timestamp with time zone;
