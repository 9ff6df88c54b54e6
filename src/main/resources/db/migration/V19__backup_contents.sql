-- What a backup holds: its databases, schemas and tables with row estimates and sizes, recorded from the
-- cluster's catalogs when the backup started (for a DUMP, kept to what its archive's table of contents lists).
-- A database row has empty schema and table names, a schema row an empty table name.
create table backup_relation (
    backup_id     uuid         not null references backup (id) on delete cascade,
    database_name varchar(63)  not null,
    schema_name   varchar(63)  not null,
    table_name    varchar(63)  not null,
    kind          varchar(24)  not null,
    row_estimate  bigint,
    size_bytes    bigint,
    primary key (backup_id, database_name, schema_name, table_name)
);
