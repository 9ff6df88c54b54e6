-- Partitioned tables as trees: each recorded relation names its parent (a partition's partitioned table, an
-- inheritance child's first parent) and a partition its bound, so that naming a table can take its whole tree.
alter table backup_relation add column parent_schema varchar(63);
alter table backup_relation add column parent_table varchar(63);
alter table backup_relation add column partition_bound varchar(2000);

-- What each recorded table needs besides itself (its schema, the types, domains and collations of its columns,
-- the functions and sequences of its defaults and checks, an extension that provides one of them), named as
-- pg_dump names them in an archive; archived: the backup holds it (a table-filtered DUMP does not).
create table backup_need (
    backup_id     uuid          not null references backup (id) on delete cascade,
    database_name varchar(63)   not null,
    schema_name   varchar(63)   not null,
    table_name    varchar(63)   not null,
    kind          varchar(24)   not null,
    need_schema   varchar(63)   not null,
    need_name     varchar(1000) not null,
    archived      boolean       not null,
    primary key (backup_id, database_name, schema_name, table_name, kind, need_schema, need_name)
);
