-- The stale-job sweep runs on every instance's own timer now, no longer as one db-scheduler recurring task:
-- the row the old task left would only be warned about as an unknown task until db-scheduler deleted it.
delete from scheduled_tasks where task_name = 'pgvault-job-sweeper';
