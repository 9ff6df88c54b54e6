-- The WAL archive: one row per archived file (segments, .partial, .history, .backup).

create table wal_file (
    cluster              varchar(63)  not null references cluster (name),
    name                 varchar(64)  not null,
    timeline             bigint       not null,
    kind                 varchar(16)  not null,
    size_bytes           bigint       not null,
    sha256               varchar(64)  not null,
    archived_at          timestamp with time zone not null,
    primary key (cluster, name)
);
create index wal_file_timeline_idx on wal_file (cluster, timeline, name);

alter table cluster add column wal_segment_size bigint;
