-- Recoveries that work on every layout and cannot be turned against their host.

-- The data directory the server reported (data_directory), to confirm an in-place recovery's target while the
-- server is down.
alter table cluster add column data_directory varchar(1024);

-- What a BASE backup captured of the server's configuration outside its data directory (JSON), and warnings.
alter table backup add column server_config varchar(100000);
alter table backup add column warnings varchar(4000);

-- A recovered copy's fetch-only WAL credential (only its SHA-256), bound to the job that made the copy.
create table copy_token (
    id                   uuid          not null primary key,
    cluster              varchar(63)   not null,
    job_id               uuid          not null,
    backup_id            uuid,
    data_directory       varchar(1024) not null,
    token_hash           varchar(64)   not null,
    promised             varchar(4000),
    created_at           timestamp with time zone not null,
    expires_at           timestamp with time zone not null,
    revoked_at           timestamp with time zone,
    revoked_why          varchar(400)
);
create unique index copy_token_hash_idx on copy_token (token_hash);
create index copy_token_job_idx on copy_token (job_id);
create index copy_token_directory_idx on copy_token (data_directory);
