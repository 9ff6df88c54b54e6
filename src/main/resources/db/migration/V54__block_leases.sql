-- The block sweep's lease rule (docs/blocks.md, "Block garbage collection"): every job that checks whether a block
-- exists in a repository's block store (a BLOCKS backup, a copy of one) first takes a lease there, under the lock of
-- the repository's row, which also counts the leases ever taken (lease_generation). The sweep deletes a batch of
-- blocks only under that lock, and only while no lease is live and none was taken since its marking began.
create table block_repository (
    repository       varchar(63) not null primary key,
    lease_generation bigint      not null
);
create table block_lease (
    job_id      uuid         not null,
    repository  varchar(63)  not null,
    taken_at    timestamp with time zone not null,
    primary key (job_id, repository)
);
