-- API tokens: only the SHA-256 of each token is kept; the token itself is shown once, at creation.
create table api_token (
    id                   uuid          not null primary key,
    name                 varchar(100)  not null,
    role                 varchar(16)   not null,
    token_hash           varchar(64)   not null,
    created_at           timestamp with time zone not null,
    created_by           varchar(100)  not null,
    expires_at           timestamp with time zone,
    last_used_at         timestamp with time zone
);
create unique index api_token_hash_idx on api_token (token_hash);
create unique index api_token_name_idx on api_token (name);

-- A cluster's archive token lets its archive_command and restore_command push and fetch its WAL, nothing else.
-- Sealed (AES-GCM) rather than hashed, because archive-config shows it again.
alter table cluster add column archive_token varchar(200);

-- Who did what to which cluster or backup, when, and how it ended.
create table audit_event (
    id                   uuid          not null primary key,
    at                   timestamp with time zone not null,
    actor                varchar(100)  not null,
    role                 varchar(16),
    action               varchar(200)  not null,
    method               varchar(10)   not null,
    path                 varchar(1000) not null,
    cluster              varchar(63),
    backup_id            uuid,
    job_id               uuid,
    status               int           not null,
    outcome              varchar(16)   not null,
    remote_address       varchar(64)
);
create index audit_event_at_idx on audit_event (at, id);
create index audit_event_cluster_idx on audit_event (cluster, at);
