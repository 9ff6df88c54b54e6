-- The pgvault instances that share this catalog, each with its host and its last heartbeat; a job that must
-- run on one host (it writes a cluster's local directories) names it; a cluster may name the host of its data.
create table instance (
    name          varchar(200)             not null primary key,
    host          varchar(255)             not null,
    version       varchar(64),
    started_at    timestamp with time zone not null,
    heartbeat_at  timestamp with time zone not null
);

alter table job add column placement varchar(255);
alter table cluster add column data_host varchar(255);
