#!/usr/bin/env bash
# Physical backup benchmark, one throwaway pgbench cluster, runs alternated:
#   1. raw pg_basebackup -Ft with pgvault's default settings (client zstd with one worker per core,
#      -X stream, fast checkpoint, progress), to local disk, fsynced as pg_basebackup does by default;
#   2. the same through pgvault (a BASE backup with default settings, request to SUCCEEDED:
#      includes the SHA-256 of every file, the fsyncs and the catalog entry);
#   3. pgvault BASE at zstd level 1 (PGVAULT_ALT_BODY; empty skips it): an option, not the default;
#   4. pgBackRest full backup (Debian package pgbackrest, local repository) with its default
#      compression (gz), and
#   5. with compress-type=zst, pgBackRest at its best: both with process-max one per core (its own
#      way to parallelize) and start-fast, so that it too does not wait for a checkpoint;
#   6. pgvault BASE to an S3 repository (S3Proxy on this host, filesystem backend), plain and
#      encrypted (aes-256-gcm), and
#   7. pgBackRest zst full to the same S3Proxy over HTTPS (self-signed; pgBackRest speaks S3 only over
#      TLS), its own repository, archive-check=n (the WAL goes to its local repository);
# ratios are to pgBackRest zst. Then WAL push: bench/wal-push.sh (PUT /wal/{file} against cp + sync).
#
#   bench/physical-backup.sh [scale=100] [runs=5]
#
# Environment: SKIP_BUILD=1 reuses target/pgvault-*.jar; WAL_SEGMENTS (default 20, 0 skips the
# WAL push part); PGVAULT_TOKEN adds "Authorization: Bearer ...". Installs pgbackrest with apt-get
# when it is missing and this runs as root.
set -euo pipefail

SCALE=${1:-100}
RUNS=${2:-5}
WAL_SEGMENTS=${WAL_SEGMENTS:-20}
ALT_DEFAULT='{"kind":"BASE","compressionMethod":"ZSTD","compression":1}'
PGVAULT_ALT_BODY=${PGVAULT_ALT_BODY-$ALT_DEFAULT}
CORES=$(nproc)
cd "$(dirname "$0")/.."

BENCH=physical-backup
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pgvault-physbench-XXXXXX")
chmod 711 "$WORK"
source bench/lib.sh

[[ $SCALE =~ ^[0-9]+$ && $SCALE -ge 1 ]] || die "scale must be a positive integer, got '$SCALE'"
[[ $RUNS =~ ^[0-9]+$ && $RUNS -ge 1 ]] || die "runs must be a positive integer, got '$RUNS'"
[[ $WAL_SEGMENTS =~ ^[0-9]+$ ]] || die "WAL_SEGMENTS must be a number, got '$WAL_SEGMENTS'"

BIN=$(find_bindir)
for tool in initdb pg_ctl pg_basebackup pgbench psql; do
  [[ -x $BIN/$tool ]] || die "$BIN/$tool is missing (apt-get install postgresql postgresql-contrib)"
done
command -v curl >/dev/null || die "curl is needed (apt-get install curl)"
if ! type -P pgbackrest >/dev/null; then
  [[ $(id -u) -eq 0 ]] || die "pgbackrest is missing (apt-get install pgbackrest)"
  echo "installing pgbackrest..." >&2
  { apt-get install -y -q pgbackrest || { apt-get update -q && apt-get install -y -q pgbackrest; }; } >"$WORK/apt.log" 2>&1 \
    || { tail -n 20 "$WORK/apt.log" >&2; die "could not install pgbackrest"; }
fi

PGDATA_DIR=$WORK/pg/data
clean_up_on_exit

pgvault_jar

# --- the cluster, archiving into pgBackRest's repository (its backups check the archive) --------
mkdir -p "$WORK/store" "$WORK/raw"
init_cluster "$PGDATA_DIR"
start_cluster "$PGDATA_DIR" <<EOF
archive_mode = on
archive_command = 'pgbackrest --config=$PBCONF --stanza=bench archive-push %p'
max_wal_senders = 10
EOF
# a gz and a zst full backup per run, all kept: expiry does the same work for both
PGBACKREST_RETENTION=$((2 * RUNS + 4))
setup_pgbackrest

PGCONN=(-h 127.0.0.1 -p "$PGPORT" -U postgres)
PG_VERSION=$("$BIN/psql" "${PGCONN[@]}" -qAt -d postgres -c "SHOW server_version")
echo "pgbench -i -s $SCALE on PostgreSQL $PG_VERSION, port $PGPORT..." >&2
"$BIN/pgbench" "${PGCONN[@]}" -i -q -s "$SCALE" postgres >"$WORK/pgbench.log" 2>&1 || { cat "$WORK/pgbench.log" >&2; die "pgbench -i failed"; }
"$BIN/psql" "${PGCONN[@]}" -qAt -d postgres -c "CHECKPOINT"
pgbackrest check >"$WORK/pgbackrest/check.log" 2>&1 || { cat "$WORK/pgbackrest/check.log" >&2; die "pgbackrest check failed"; }
CLUSTER_SIZE=$(du -sb "$PGDATA_DIR" | cut -f1)

# --- the three ways --------------------------------------------------------------------------------
# pgvault's argv for a default BASE backup, writing into a directory it then syncs itself;
# raw pg_basebackup syncs by default, so the two store equally durably
raw_backup() {
  rm -rf "$WORK/raw/out"
  "$BIN/pg_basebackup" "${PGCONN[@]}" --no-password -D "$WORK/raw/out" --format=tar --wal-method=stream \
    --checkpoint=fast --compress="client-zstd:workers=$CORES" --progress --verbose 2>"$WORK/raw/log" \
    || { cat "$WORK/raw/log" >&2; die "pg_basebackup failed"; }
}
# pgbackrest_backup [options]: a full backup, e.g. pgbackrest_backup --compress-type=zst
pgbackrest_backup() {
  pgbackrest --type=full "$@" backup >"$WORK/pgbackrest/backup.log" 2>&1 \
    || { cat "$WORK/pgbackrest/backup.log" >&2; die "pgbackrest backup failed"; }
}
pgbackrest_size() { pgbackrest --output=json info | jget '.[0].backup[-1].info.repository.size'; }

# --- S3: pgvault's repositories "s3" and "s3enc", and pgBackRest's own S3 configuration ------------
start_s3proxy
export PGVAULT_REPOSITORY=local PGVAULT_REPOSITORIES_LOCAL_TYPE=local PGVAULT_REPOSITORIES_LOCAL_PATH="$WORK/store"
for r in S3 S3ENC; do
  export "PGVAULT_REPOSITORIES_${r}_TYPE=s3" "PGVAULT_REPOSITORIES_${r}_ENDPOINT=http://127.0.0.1:$S3_PORT" \
    "PGVAULT_REPOSITORIES_${r}_BUCKET=bench" "PGVAULT_REPOSITORIES_${r}_PATHSTYLE=true" \
    "PGVAULT_REPOSITORIES_${r}_ACCESSKEY=$S3_KEY" "PGVAULT_REPOSITORIES_${r}_SECRETKEY=$S3_SECRET"
done
export PGVAULT_REPOSITORIES_S3_PREFIX=pgvault PGVAULT_REPOSITORIES_S3ENC_PREFIX=pgvault-encrypted \
  PGVAULT_REPOSITORIES_S3ENC_ENCRYPTION=aes-256-gcm PGVAULT_REPOSITORIES_S3ENC_ENCRYPTIONKEYFILE="$WORK/s3enc.key"
PBCONF_S3=$WORK/pgbackrest/s3.conf
cat >"$PBCONF_S3" <<EOF
[global]
repo1-type=s3
repo1-path=/pgbackrest
repo1-s3-bucket=bench
repo1-s3-endpoint=127.0.0.1
repo1-storage-port=$S3_TLS_PORT
repo1-storage-verify-tls=n
repo1-s3-region=us-east-1
repo1-s3-uri-style=path
repo1-s3-key=$S3_KEY
repo1-s3-key-secret=$S3_SECRET
repo1-retention-full=$PGBACKREST_RETENTION
process-max=${PGBACKREST_PROCESS_MAX:-$CORES}
start-fast=y
archive-check=n
compress-type=zst
log-level-console=warn
log-level-file=off
lock-path=$WORK/pgbackrest/lock-s3

[bench]
pg1-path=$PGDATA_DIR
pg1-port=$PGPORT
pg1-socket-path=$(dirname "$PGDATA_DIR")
EOF
chmod 600 "$PBCONF_S3"
[[ $(id -u) -eq 0 ]] && chown postgres:postgres "$PBCONF_S3"
pgbackrest_s3() { as_pg pgbackrest --config="$PBCONF_S3" --stanza=bench "$@"; }
pgbackrest_s3 stanza-create >"$WORK/pgbackrest/stanza-s3.log" 2>&1 \
  || { cat "$WORK/pgbackrest/stanza-s3.log" >&2; die "stanza-create on S3 failed"; }

start_pgvault
for c in bench:local bench-s3:s3 bench-s3enc:s3enc; do
  api POST /api/v1/clusters "{\"name\":\"${c%%:*}\",\"host\":\"127.0.0.1\",\"port\":$PGPORT,\"username\":\"postgres\",\"repository\":\"${c##*:}\"}" >/dev/null
done
# warm-up, untimed: the JVM compiles its hot paths, every tool reads a warm cache afterwards
pgvault_backup '{"kind":"BASE"}' >/dev/null
raw_backup
pgbackrest_backup
pgbackrest_backup --compress-type=zst
pgvault_backup '{"kind":"BASE"}' bench-s3 >/dev/null
pgvault_backup '{"kind":"BASE"}' bench-s3enc >/dev/null
pgbackrest_s3 --type=full backup >"$WORK/pgbackrest/backup-s3.log" 2>&1 || { cat "$WORK/pgbackrest/backup-s3.log" >&2; die "pgbackrest backup to S3 failed"; }

: >"$WORK/s3.times"
: >"$WORK/s3enc.times"
: >"$WORK/zsts3.times"
: >"$WORK/raw.times"
: >"$WORK/pgvault.times"
: >"$WORK/alt.times"
: >"$WORK/pgbackrest.times"
: >"$WORK/zst.times"
for run in $(seq 1 "$RUNS"); do
  sync
  start=$(now)
  raw_backup
  seconds "$start" "$(now)" >>"$WORK/raw.times"
  sync
  result=$(pgvault_backup '{"kind":"BASE"}')
  read -r took BACKUP_ID <<<"$result"
  echo "$took" >>"$WORK/pgvault.times"
  sync
  start=$(now)
  pgbackrest_backup
  seconds "$start" "$(now)" >>"$WORK/pgbackrest.times"
  PB_SIZE=$(pgbackrest_size)
  if [[ -n $PGVAULT_ALT_BODY ]]; then
    sync
    result=$(pgvault_backup "$PGVAULT_ALT_BODY")
    read -r took ALT_ID <<<"$result"
    echo "$took" >>"$WORK/alt.times"
  fi
  sync
  start=$(now)
  pgbackrest_backup --compress-type=zst
  seconds "$start" "$(now)" >>"$WORK/zst.times"
  ZST_SIZE=$(pgbackrest_size)
  sync
  result=$(pgvault_backup '{"kind":"BASE"}' bench-s3)
  read -r took S3_ID <<<"$result"
  echo "$took" >>"$WORK/s3.times"
  sync
  result=$(pgvault_backup '{"kind":"BASE"}' bench-s3enc)
  read -r took S3ENC_ID <<<"$result"
  echo "$took" >>"$WORK/s3enc.times"
  sync
  start=$(now)
  pgbackrest_s3 --type=full backup >"$WORK/pgbackrest/backup-s3.log" 2>&1 || { cat "$WORK/pgbackrest/backup-s3.log" >&2; die "pgbackrest backup to S3 failed"; }
  seconds "$start" "$(now)" >>"$WORK/zsts3.times"
  ZSTS3_SIZE=$(pgbackrest_s3 --output=json info | jget '.[0].backup[-1].info.repository.size')
  echo "run $run/$RUNS done" >&2
done

RAW_SIZE=$(du -sb "$WORK/raw/out" | cut -f1)
PV=$(api GET "/api/v1/backups/$BACKUP_ID")
PV_SIZE=$(jget .sizeBytes <<<"$PV")
read -r raw_min raw_med raw_max < <(stats <"$WORK/raw.times")
read -r pv_min pv_med pv_max < <(stats <"$WORK/pgvault.times")
read -r pb_min pb_med pb_max < <(stats <"$WORK/pgbackrest.times")
read -r zst_min zst_med zst_max < <(stats <"$WORK/zst.times")
PB_VERSION=$(pgbackrest version | awk '{print $2}')
# row NAME MEDIAN MIN MAX SIZE: one line of the table, ratios to pgBackRest zst
row() { echo "| $1 | $2 | $3 | $4 | $(mib "$5") | $(ratio "$2" "$zst_med") | $(ratio "$5" "$ZST_SIZE") |"; }

echo
echo "## Physical backup: pgbench scale $SCALE ($(mib "$CLUSTER_SIZE") MiB data directory), PostgreSQL $PG_VERSION, $CORES cores, $RUNS runs each, alternated"
echo
echo "| what | median s | min s | max s | stored MiB | time / pgBackRest zst | size / pgBackRest zst |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
row "raw \`pg_basebackup -Ft -X stream --compress=client-zstd:workers=$CORES --checkpoint=fast\`" \
  "$raw_med" "$raw_min" "$raw_max" "$RAW_SIZE"
row "pgvault BASE, defaults ($(jget .options.compressionMethod <<<"$PV"), $(jget .options.compressionWorkers <<<"$PV") workers; same argv + SHA-256, fsync, catalog), request to SUCCEEDED" \
  "$pv_med" "$pv_min" "$pv_max" "$PV_SIZE"
if [[ -n $PGVAULT_ALT_BODY ]]; then
  read -r alt_min alt_med alt_max < <(stats <"$WORK/alt.times")
  row "pgvault BASE \`$PGVAULT_ALT_BODY\`" "$alt_med" "$alt_min" "$alt_max" \
    "$(api GET "/api/v1/backups/$ALT_ID" | jget .sizeBytes)"
fi
row "pgBackRest $PB_VERSION full, default compression (gz), process-max $CORES, start-fast" "$pb_med" "$pb_min" "$pb_max" "$PB_SIZE"
row "pgBackRest $PB_VERSION full, compress-type=zst, process-max $CORES, start-fast" "$zst_med" "$zst_min" "$zst_max" "$ZST_SIZE"
read -r s3_min s3_med s3_max < <(stats <"$WORK/s3.times")
read -r s3e_min s3e_med s3e_max < <(stats <"$WORK/s3enc.times")
read -r zs3_min zs3_med zs3_max < <(stats <"$WORK/zsts3.times")
row "pgvault BASE, defaults, to S3 (S3Proxy on this host, HTTP)" "$s3_med" "$s3_min" "$s3_max" \
  "$(api GET "/api/v1/backups/$S3_ID" | jget .sizeBytes)"
row "pgvault BASE, defaults, to S3, encrypted (aes-256-gcm)" "$s3e_med" "$s3e_min" "$s3e_max" \
  "$(api GET "/api/v1/backups/$S3ENC_ID" | jget .sizeBytes)"
row "pgBackRest $PB_VERSION full, compress-type=zst, to the same S3Proxy (HTTPS), archive-check=n" \
  "$zs3_med" "$zs3_min" "$zs3_max" "$ZSTS3_SIZE"
echo
echo "pgvault's own time over raw pg_basebackup (medians): $(awk -v a="$pv_med" -v b="$raw_med" 'BEGIN { printf "%+.0f ms", 1000 * (a - b) }')" \
  "(HTTP request, queueing, catalog, WAL tar compression, the fsyncs of what it stores)."
echo "pgvault BASE to S3 / to local disk (medians): $(ratio "$s3_med" "$pv_med")x, encrypted $(ratio "$s3e_med" "$pv_med")x;" \
  "pgvault to S3 / pgBackRest zst to S3: $(ratio "$s3_med" "$zs3_med")x"
echo "pgvault / pgBackRest zst (medians): time $(ratio "$pv_med" "$zst_med")x, size $(ratio "$PV_SIZE" "$ZST_SIZE")x;" \
  "pgvault files: $(jget '.files | map(.path) | join(", ")' <<<"$PV" 2>/dev/null || true); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

if [[ $WAL_SEGMENTS -gt 0 ]]; then
  stop_pgvault
  unset "${!PGVAULT_REPOSITOR@}"
  SKIP_BUILD=1 bench/wal-push.sh "$WAL_SEGMENTS" 3
fi
