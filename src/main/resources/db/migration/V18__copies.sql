-- Copies of a backup in other repositories (3-2-1), each with its own status, and the WAL files copied to
-- another repository (a copy's recovery WAL, or a cluster's second WAL archive).
create table backup_copy (
    backup_id    uuid                     not null references backup (id),
    repository   varchar(63)              not null,
    status       varchar(16)              not null,
    location     varchar(255),
    job_id       uuid,
    queued_at    timestamp with time zone not null,
    finished_at  timestamp with time zone,
    detail       varchar(4000),
    primary key (backup_id, repository)
);

create table wal_copy (
    cluster     varchar(63)              not null,
    name        varchar(64)              not null,
    repository  varchar(63)              not null,
    copied_at   timestamp with time zone not null,
    primary key (cluster, name, repository)
);

alter table schedule add column copy_to varchar(1000);
alter table cluster add column wal_copy_to varchar(63);
