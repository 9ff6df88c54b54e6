-- The keys a repository's block store (.blocks/: the blocks of BLOCKS backups and .blocks/hmac-key) may hold objects
-- encrypted with. The catalog lists no block object, so a key's removal asks here instead of listing the bucket:
-- a block-store writer notes the key it writes under (once per key and lease), and a re-encryption that listed and
-- rewrote every object there while no writer ran clears the set to the current key. key_id '*': the block store was
-- written before keys were noted, with keys unknown; no older key may go until a re-encryption has listed it.
create table block_store_key (
    repository varchar(63)              not null,
    key_id     varchar(16)              not null,
    noted_at   timestamp with time zone not null,
    primary key (repository, key_id)
);
insert into block_store_key (repository, key_id, noted_at)
    select distinct r, '*', current_timestamp from (
        select coalesce(repository, 'local') as r from backup where format = 'BLOCKS'
        union select c.repository from backup_copy c join backup b on b.id = c.backup_id where b.format = 'BLOCKS'
        union select repository from block_repository) blocks_in;
