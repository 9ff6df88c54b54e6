-- walArchive STREAM: which pgvault instance runs a cluster's pg_receivewal, until when (renewed while it runs).
create table wal_stream_lease (
    cluster              varchar(63)   not null primary key,
    owner                varchar(200)  not null,
    lease_until          timestamp with time zone not null
);
