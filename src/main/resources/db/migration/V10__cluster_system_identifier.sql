-- The server's system_identifier (pg_control_system()), read at registration and on update: a WAL segment
-- whose page header names another system is refused. Null for clusters registered before: they skip that check.
alter table cluster add column system_identifier bigint;
