-- A backup whose size strays from its spec's recent median says so.
alter table backup add column size_anomaly varchar(500);

-- Webhooks, their deliveries (with retries), and which cluster problems have already been announced.
create table webhook (
    id                   uuid          not null primary key,
    url                  varchar(2000) not null,
    secret               varchar(1000) not null,
    events               varchar(500)  not null,
    enabled              boolean       not null,
    created_at           timestamp with time zone not null
);

create table webhook_delivery (
    id                   uuid          not null primary key,
    webhook_id           uuid          not null references webhook (id),
    event                varchar(32)   not null,
    payload              varchar(8000) not null,
    status               varchar(16)   not null,
    attempts             int           not null,
    last_status_code     int,
    last_error           varchar(1000),
    created_at           timestamp with time zone not null,
    next_attempt_at      timestamp with time zone,
    delivered_at         timestamp with time zone
);
create index webhook_delivery_webhook_idx on webhook_delivery (webhook_id, created_at);

create table alert_state (
    cluster              varchar(63)   not null,
    kind                 varchar(32)   not null,
    since                timestamp with time zone not null,
    primary key (cluster, kind)
);

-- Restore drills: the row count of every table at dump time (in pg_dump's own snapshot), the measured
-- restore time of the last drill, and a cluster's sanity queries.
create table backup_table_rows (
    backup_id            uuid          not null references backup (id),
    schema_name          varchar(128)  not null,
    table_name           varchar(128)  not null,
    row_count            bigint        not null,
    primary key (backup_id, schema_name, table_name)
);
alter table backup add column drill_seconds double precision;
alter table cluster add column sanity_queries varchar(8000);
