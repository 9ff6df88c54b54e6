-- The pgvault catalog. Written to run unchanged on H2 and PostgreSQL.

create table cluster (
    name                 varchar(63)  not null primary key,
    host                 varchar(255) not null,
    port                 int          not null,
    username             varchar(63)  not null,
    password             varchar(1024),
    maintenance_database varchar(63)  not null,
    ssl_mode             varchar(16)  not null,
    wal_archive          varchar(16)  not null,
    rpo                  varchar(32),
    server_version       varchar(32),
    server_version_num   int,
    tool_directory       varchar(1024),
    tool_version         varchar(32),
    created_at           timestamp with time zone not null,
    updated_at           timestamp with time zone not null
);

create table backup (
    id                   uuid         not null primary key,
    cluster              varchar(63)  not null references cluster (name),
    kind                 varchar(16)  not null,
    format               varchar(16),
    database_name        varchar(63),
    options              varchar(8000) not null,
    status               varchar(16)  not null,
    queued_at            timestamp with time zone not null,
    started_at           timestamp with time zone,
    finished_at          timestamp with time zone,
    location             varchar(1024),
    size_bytes           bigint,
    sha256               varchar(64),
    server_version       varchar(32),
    tool_version         varchar(32),
    start_lsn            varchar(32),
    stop_lsn             varchar(32),
    timeline             int,
    first_wal            varchar(40),
    last_wal             varchar(40),
    verification_status  varchar(16)  not null,
    verification_level   varchar(16),
    verified_at          timestamp with time zone,
    verification_detail  varchar(4000),
    error                varchar(4000),
    label                varchar(200),
    pinned               boolean      not null,
    job_id               uuid
);
create index backup_cluster_queued_idx on backup (cluster, queued_at);
create index backup_queued_idx on backup (queued_at);
create index backup_status_idx on backup (status);

create table backup_file (
    backup_id            uuid          not null references backup (id),
    path                 varchar(1024) not null,
    size_bytes           bigint        not null,
    sha256               varchar(64)   not null,
    primary key (backup_id, path)
);

create table job (
    id                   uuid         not null primary key,
    type                 varchar(16)  not null,
    status               varchar(16)  not null,
    cluster              varchar(63)  not null,
    backup_id            uuid,
    payload              varchar(8000),
    phase                varchar(255),
    bytes_done           bigint       not null,
    bytes_total          bigint,
    created_at           timestamp with time zone not null,
    started_at           timestamp with time zone,
    finished_at          timestamp with time zone,
    heartbeat_at         timestamp with time zone,
    owner                varchar(255),
    cancel_requested     boolean      not null,
    error                varchar(4000),
    log_tail             varchar(70000)
);
create index job_created_idx on job (created_at);
create index job_status_idx on job (status, cluster);

-- db-scheduler's execution table (see its postgresql_tables.sql).
create table scheduled_tasks (
    task_name            varchar(255) not null,
    task_instance        varchar(255) not null,
    task_data            bytea,
    execution_time       timestamp with time zone not null,
    picked               boolean      not null,
    picked_by            varchar(255),
    last_success         timestamp with time zone,
    last_failure         timestamp with time zone,
    consecutive_failures int,
    last_heartbeat       timestamp with time zone,
    version              bigint       not null,
    priority             smallint,
    primary key (task_name, task_instance)
);
create index execution_time_idx on scheduled_tasks (execution_time);
create index last_heartbeat_idx on scheduled_tasks (last_heartbeat);
create index priority_execution_time_idx on scheduled_tasks (priority desc, execution_time asc);
