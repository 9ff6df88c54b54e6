-- Schedules: a cluster's backups on a cron, with the retention and verification that follow them.
create table schedule (
    id                   uuid          not null primary key,
    cluster              varchar(63)   not null references cluster (name),
    cron                 varchar(200)  not null,
    time_zone            varchar(64)   not null,
    enabled              boolean       not null,
    backup_spec          varchar(8000) not null,
    retention            varchar(1000),
    verification         varchar(1000),
    created_at           timestamp with time zone not null,
    updated_at           timestamp with time zone not null,
    next_run_at          timestamp with time zone,
    last_run_at          timestamp with time zone,
    last_job_id          uuid,
    last_error           varchar(4000)
);
create index schedule_cluster_idx on schedule (cluster);

alter table backup add column schedule_id uuid;
create index backup_schedule_idx on backup (schedule_id);
