-- The archive's proof by replay, per cluster: how often it runs (mode) and what the last run proved. The proven
-- point is what PostgreSQL itself replayed from the archive, starting from a BASE backup; failure names the
-- segment where replay stopped and why.
create table cluster_proof (
    cluster          varchar(63)              not null primary key references cluster (name) on delete cascade,
    mode             varchar(16)              not null,
    rpo_basis        varchar(16)              not null default 'BACKUP',
    state            varchar(16)              not null,
    backup_id        uuid,
    proven_lsn       varchar(32),
    proven_time      timestamp with time zone,
    archive_end      varchar(40),
    failure          varchar(2000),
    failed_segment   varchar(40),
    failures         bigint                   not null default 0,
    last_job         uuid,
    last_run_at      timestamp with time zone,
    updated_at       timestamp with time zone not null
);
