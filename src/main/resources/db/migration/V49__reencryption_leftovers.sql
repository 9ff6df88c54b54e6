-- Old objects a re-encryption switched the catalog away from and then could not remove (the bucket failed right
-- then): nothing points at them, but they stay under an older key. The next re-encryption of the repository
-- removes them before anything else, and a run does not SUCCEED while one is left. is_location: object_key is a
-- backup generation's location (every object below it goes), else one object's key.
create table reencryption_leftover (
    repository   varchar(63)              not null,
    object_key   varchar(1024)            not null,
    is_location  boolean                  not null,
    noted_at     timestamp with time zone not null,
    noted_by     uuid,
    primary key (repository, object_key)
);
