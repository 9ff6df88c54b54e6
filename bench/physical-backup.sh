#!/usr/bin/env bash
# Physical backup benchmark, one throwaway pgbench cluster, runs alternated:
#   1. raw pg_basebackup -Ft with pgvault's default settings (client zstd, -X stream, fast
#      checkpoint, progress), to local disk, fsynced as pg_basebackup does by default;
#   2. the same through pgvault (a BASE backup with default settings, request to SUCCEEDED:
#      includes the SHA-256 of every file, the fsyncs and the catalog entry);
#   3. pgBackRest full backup (Debian package pgbackrest, local repository, its default
#      compression, process-max 2, start-fast so that it too does not wait for a checkpoint);
# then WAL push: bench/wal-push.sh (PUT /wal/{file} against cp + sync).
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
PGBACKREST_RETENTION=$((RUNS + 2))
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
    --checkpoint=fast --compress=client-zstd --progress --verbose 2>"$WORK/raw/log" \
    || { cat "$WORK/raw/log" >&2; die "pg_basebackup failed"; }
}
pgbackrest_backup() {
  pgbackrest --type=full backup >"$WORK/pgbackrest/backup.log" 2>&1 \
    || { cat "$WORK/pgbackrest/backup.log" >&2; die "pgbackrest backup failed"; }
}
pgbackrest_size() { pgbackrest --output=json info | jget '.[0].backup[-1].info.repository.size'; }

start_pgvault
api POST /api/v1/clusters "{\"name\":\"bench\",\"host\":\"127.0.0.1\",\"port\":$PGPORT,\"username\":\"postgres\"}" >/dev/null
# warm-up, untimed: the JVM compiles its hot paths, every tool reads a warm cache afterwards
pgvault_backup '{"kind":"BASE"}' >/dev/null
raw_backup
pgbackrest_backup

: >"$WORK/raw.times"
: >"$WORK/pgvault.times"
: >"$WORK/pgbackrest.times"
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
  echo "run $run/$RUNS done" >&2
done

RAW_SIZE=$(du -sb "$WORK/raw/out" | cut -f1)
PV=$(api GET "/api/v1/backups/$BACKUP_ID")
PV_SIZE=$(jget .sizeBytes <<<"$PV")
PB_SIZE=$(pgbackrest_size)
read -r raw_min raw_med raw_max < <(stats <"$WORK/raw.times")
read -r pv_min pv_med pv_max < <(stats <"$WORK/pgvault.times")
read -r pb_min pb_med pb_max < <(stats <"$WORK/pgbackrest.times")

echo
echo "## Physical backup: pgbench scale $SCALE ($(mib "$CLUSTER_SIZE") MiB data directory), PostgreSQL $PG_VERSION, $(nproc) cores, $RUNS runs each, alternated"
echo
echo "| what | median s | min s | max s | stored MiB | time / raw | size / raw |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
echo "| raw \`pg_basebackup -Ft -X stream --compress=client-zstd --checkpoint=fast\` | $raw_med | $raw_min | $raw_max | $(mib "$RAW_SIZE") | 1.00 | 1.00 |"
echo "| pgvault BASE, defaults (same argv + SHA-256, fsync, catalog), request to SUCCEEDED | $pv_med | $pv_min | $pv_max | $(mib "$PV_SIZE") | $(ratio "$pv_med" "$raw_med") | $(ratio "$PV_SIZE" "$RAW_SIZE") |"
echo "| pgBackRest $(pgbackrest version | awk '{print $2}') full, defaults (gz), process-max 2, start-fast | $pb_med | $pb_min | $pb_max | $(mib "$PB_SIZE") | $(ratio "$pb_med" "$raw_med") | $(ratio "$PB_SIZE" "$RAW_SIZE") |"
echo
echo "pgvault's own time over raw pg_basebackup (medians): $(awk -v a="$pv_med" -v b="$raw_med" 'BEGIN { printf "%+.0f ms", 1000 * (a - b) }')" \
  "(HTTP request, queueing, catalog, WAL tar compression, the fsyncs of what it stores)."
echo "pgvault / pgBackRest (medians): time $(ratio "$pv_med" "$pb_med")x, size $(ratio "$PV_SIZE" "$PB_SIZE")x." \
  "pgvault compression: $(jget .options.compressionMethod <<<"$PV"); files: $(jget '.files | map(.path) | join(", ")' <<<"$PV" 2>/dev/null || true)"

if [[ $WAL_SEGMENTS -gt 0 ]]; then
  stop_pgvault
  SKIP_BUILD=1 bench/wal-push.sh "$WAL_SEGMENTS" 3
fi
