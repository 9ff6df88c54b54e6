-- A copy of a block-store backup (format BLOCKS) in an encrypted repository names its blocks under that
-- repository's own HMAC key, so its manifest is rewritten with those names: the copy's manifest has its own size
-- and SHA-256, recorded here and checked when a restore falls back to the copy (null: the catalog's manifest,
-- byte for byte, as every copy of another format).
alter table backup_copy add column manifest_size bigint;
alter table backup_copy add column manifest_sha256 varchar(64);
