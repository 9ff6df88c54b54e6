#!/usr/bin/env bash
# Restore benchmark (the RTO of a BASE backup), one throwaway pgbench cluster, runs alternated, each
# timed from the request to a promoted server that answers queries:
#   1. raw: the same stored files pgvault keeps (base.tar.zst, pg_wal.tar.zst) unpacked by hand
#      with zstd and tar as the postgres user, recovery.signal and recovery_target = 'immediate'
#      written, pg_ctl start, wait until it is promoted;
#   2. pgvault: POST /backups/{id}/restores into a new directory below a recovery root, to
#      SUCCEEDED (its tar runs as the postgres user through setpriv, its configuration and
#      restore_command are written, its server watched until promoted);
#   3. pgBackRest restore of a full backup of the same cluster into a new directory, --type=immediate
#      --target-action=promote, then pg_ctl start, wait until it is promoted.
#
#   bench/restore.sh [scale=50] [runs=5]
#
# Environment: SKIP_BUILD=1 reuses target/pgvault-*.jar. Installs pgbackrest and zstd with apt-get
# when they are missing and this runs as root.
set -euo pipefail

SCALE=${1:-50}
RUNS=${2:-5}
cd "$(dirname "$0")/.."

BENCH=restore
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pgvault-restorebench-XXXXXX")
chmod 711 "$WORK"
source bench/lib.sh

[[ $SCALE =~ ^[0-9]+$ && $SCALE -ge 1 ]] || die "scale must be a positive integer, got '$SCALE'"
[[ $RUNS =~ ^[0-9]+$ && $RUNS -ge 1 ]] || die "runs must be a positive integer, got '$RUNS'"

BIN=$(find_bindir)
for tool in initdb pg_ctl pgbench psql; do
  [[ -x $BIN/$tool ]] || die "$BIN/$tool is missing (apt-get install postgresql postgresql-contrib)"
done
need_packages pgbackrest zstd

PGDATA_DIR=$WORK/pg/data
clean_up_on_exit
trap 'rc=$?; stop_copies; _clean_up $rc' EXIT

pgvault_jar

mkdir -p "$WORK/store"
make_copies
init_cluster "$PGDATA_DIR"
start_cluster "$PGDATA_DIR" <<EOF
archive_mode = on
archive_command = 'pgbackrest --config=$PBCONF --stanza=bench archive-push %p'
max_wal_senders = 10
EOF
setup_pgbackrest

PGCONN=(-h 127.0.0.1 -p "$PGPORT" -U postgres)
PG_VERSION=$("$BIN/psql" "${PGCONN[@]}" -qAt -d postgres -c "SHOW server_version")
echo "pgbench -i -s $SCALE on PostgreSQL $PG_VERSION, port $PGPORT..." >&2
"$BIN/pgbench" "${PGCONN[@]}" -i -q -s "$SCALE" postgres >"$WORK/pgbench.log" 2>&1 || { cat "$WORK/pgbench.log" >&2; die "pgbench -i failed"; }
"$BIN/psql" "${PGCONN[@]}" -qAt -d postgres -c "CHECKPOINT"
CLUSTER_SIZE=$(du -sb "$PGDATA_DIR" | cut -f1)

PGVAULT_ARGS="--pgvault.recovery.roots=$WORK/copies --pgvault.recovery.drill-directory=$WORK/copies/drills ${PGVAULT_ARGS:-}"
start_pgvault
api POST /api/v1/clusters "{\"name\":\"bench\",\"host\":\"127.0.0.1\",\"port\":$PGPORT,\"username\":\"postgres\"}" >/dev/null
read -r _ BACKUP_ID < <(pgvault_backup '{"kind":"BASE"}')
# the files pgvault keeps, where its local store puts them: {cluster}/{kind}/{backupId}
STORED=$WORK/store/bench/BASE/$BACKUP_ID
[[ -f $STORED/base.tar.zst && -f $STORED/pg_wal.tar.zst ]] || die "no base.tar.zst and pg_wal.tar.zst in $STORED"
pgbackrest --type=full backup >"$WORK/pgbackrest/backup.log" 2>&1 || { cat "$WORK/pgbackrest/backup.log" >&2; die "pgbackrest backup failed"; }

raw_restore() {
  local dir=$WORK/copies/raw-$1 port
  port=$(free_port)
  as_pg mkdir -m 700 "$dir"
  zstd -dc "$STORED/base.tar.zst" | as_pg tar -x -C "$dir"
  as_pg mkdir -p "$dir/pg_wal"
  zstd -dc "$STORED/pg_wal.tar.zst" | as_pg tar -x -C "$dir/pg_wal"
  # the backup's own WAL is in pg_wal: restore_command finds nothing and says so
  printf "restore_command = 'false'\nrecovery_target = 'immediate'\nrecovery_target_action = 'promote'\nport = %s\nunix_socket_directories = '%s'\narchive_mode = off\n" \
    "$port" "$WORK/copies" | as_pg tee -a "$dir/postgresql.auto.conf" >/dev/null
  as_pg touch "$dir/recovery.signal"
  as_pg "$BIN/pg_ctl" -D "$dir" -l "$dir/log" -W start >/dev/null
  await_promoted "$port" "$dir"
  echo "$port"
}
pgvault_restore() {
  local job
  job=$(api POST "/api/v1/backups/$BACKUP_ID/restores" "{\"dataDirectory\":\"$WORK/copies/pgvault-$1\"}")
  [[ $job =~ \"id\":\"([^\"]+)\" ]] || die "no job id in: $job"
  job=$(await_job "${BASH_REMATCH[1]}")
  [[ $job =~ \"port\":([0-9]+) ]] || die "no port in: $job"
  echo "${BASH_REMATCH[1]}"
}
pgbackrest_restore() {
  local dir=$WORK/copies/pgbackrest-$1 port
  port=$(free_port)
  as_pg mkdir -m 700 "$dir"
  pgbackrest --pg1-path="$dir" --type=immediate --target-action=promote restore >"$WORK/pgbackrest/restore.log" 2>&1 \
    || { cat "$WORK/pgbackrest/restore.log" >&2; die "pgbackrest restore failed"; }
  printf "port = %s\nunix_socket_directories = '%s'\narchive_mode = off\n" "$port" "$WORK/copies" \
    | as_pg tee -a "$dir/postgresql.auto.conf" >/dev/null
  as_pg "$BIN/pg_ctl" -D "$dir" -l "$dir/log" -W start >/dev/null
  await_promoted "$port" "$dir"
  echo "$port"
}

# warm-up, untimed
port=$(raw_restore warm)
answers "$port" >/dev/null
port=$(pgvault_restore warm)
answers "$port" >/dev/null
stop_copies

: >"$WORK/raw.times"
: >"$WORK/pgvault.times"
: >"$WORK/pgbackrest.times"
for run in $(seq 1 "$RUNS"); do
  for way in raw pgvault pgbackrest; do
    sync
    start=$(now)
    port=$(${way}_restore "$run")
    seconds "$start" "$(now)" >>"$WORK/$way.times"
    [[ $(answers "$port") -eq $SCALE ]] || die "$way: the copy does not hold $SCALE branches"
    stop_copies
  done
  echo "run $run/$RUNS done" >&2
done

read -r raw_min raw_med raw_max < <(stats <"$WORK/raw.times")
read -r pv_min pv_med pv_max < <(stats <"$WORK/pgvault.times")
read -r pb_min pb_med pb_max < <(stats <"$WORK/pgbackrest.times")

echo
echo "## Restore of a BASE backup to a promoted server: pgbench scale $SCALE ($(mib "$CLUSTER_SIZE") MiB data directory), PostgreSQL $PG_VERSION, $(nproc) cores, $RUNS runs each, alternated"
echo
echo "| what | median s | min s | max s | time / raw |"
echo "| --- | ---: | ---: | ---: | ---: |"
echo "| raw: zstd -dc \| tar -x (as postgres) of pgvault's stored files, recovery.signal, pg_ctl start | $raw_med | $raw_min | $raw_max | 1.00 |"
echo "| pgvault \`POST /backups/{id}/restores\`, request to SUCCEEDED (promoted) | $pv_med | $pv_min | $pv_max | $(ratio "$pv_med" "$raw_med") |"
echo "| pgBackRest $(pgbackrest version | awk '{print $2}') restore --type=immediate, then pg_ctl start | $pb_med | $pb_min | $pb_max | $(ratio "$pb_med" "$raw_med") |"
echo
echo "pgvault's own time over the raw steps (medians): $(awk -v a="$pv_med" -v b="$raw_med" 'BEGIN { printf "%+.0f ms", 1000 * (a - b) }')" \
  "(HTTP request, queueing, the path checks, setpriv for each file step, configuration, watching the server)."
