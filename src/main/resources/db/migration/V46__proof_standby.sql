-- The continuous proof's standing standbys: a copy of a BASE backup kept in standby mode, replaying each archived
-- segment as it arrives. Directory, port and host identify the server, so that after a restart pgvault adopts the
-- one running there (or starts it again from its directory) and never makes a second. job_id is the PROOF job that
-- restored it, to which its fetch-only WAL credential is bound. While a proof moves to a newer backup a cluster has
-- two rows for a moment; the newest is the proof's. owner is the instance that follows it (one per standby, also
-- with several instances on its host); another instance of the host takes it over once the owner is gone.
create table proof_standby (
    job_id           uuid                     not null primary key,
    cluster          varchar(63)              not null references cluster (name) on delete cascade,
    backup_id        uuid                     not null,
    data_directory   varchar(4000)            not null,
    port             integer                  not null,
    host             varchar(255)             not null,
    owner            varchar(255),
    pid              bigint,
    started_at       timestamp with time zone not null,
    checked_at       timestamp with time zone,
    check_summary    varchar(2000),
    updated_at       timestamp with time zone not null
);
create index proof_standby_cluster on proof_standby (cluster);
