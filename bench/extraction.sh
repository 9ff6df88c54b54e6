#!/usr/bin/env bash
# Table-level recovery benchmark, one throwaway pgbench cluster that archives its WAL through pgvault:
#   after a BASE backup and a pgbench run, a point in time T; then, runs alternated, all to T:
#   1. a full recovery (POST /clusters/bench/recoveries into a new directory, request to SUCCEEDED:
#      the server is promoted and answers), what a user does today before dumping a table by hand;
#   2. an extraction of the small table pgbench_branches (POST /clusters/bench/extractions, request
#      to SUCCEEDED: scratch server recovered, the table dumped, restored into a new schema of the live
#      database, rows counted, scratch server removed);
#   3. an extraction of the largest table, pgbench_accounts (scale x 100,000 rows), the same way.
# Ratios are to the full recovery, which ends with the data still inside a copy of the cluster.
#
#   bench/extraction.sh [scale=50] [runs=3]
#
# Environment: SKIP_BUILD=1 reuses target/pgvault-*.jar; PGBENCH_SECONDS (default 20) of pgbench
# before T, so that the recoveries replay WAL.
set -euo pipefail

SCALE=${1:-50}
RUNS=${2:-3}
PGBENCH_SECONDS=${PGBENCH_SECONDS:-20}
cd "$(dirname "$0")/.."

BENCH=extraction
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pgvault-extractbench-XXXXXX")
chmod 711 "$WORK"
source bench/lib.sh

[[ $SCALE =~ ^[0-9]+$ && $SCALE -ge 1 ]] || die "scale must be a positive integer, got '$SCALE'"
[[ $RUNS =~ ^[0-9]+$ && $RUNS -ge 1 ]] || die "runs must be a positive integer, got '$RUNS'"

BIN=$(find_bindir)
for tool in initdb pg_ctl pgbench psql; do
  [[ -x $BIN/$tool ]] || die "$BIN/$tool is missing (apt-get install postgresql postgresql-contrib)"
done
command -v curl >/dev/null || die "curl is needed (apt-get install curl)"

PGDATA_DIR=$WORK/pg/data
clean_up_on_exit
stop_copies() {
  for dir in "$WORK"/copies/*/ "$WORK"/copies/drills/*/; do
    [[ -f $dir/postmaster.pid ]] && as_pg "$BIN/pg_ctl" -D "$dir" -m immediate -w stop >/dev/null 2>&1 || true
  done
  as_pg rm -rf "$WORK"/copies/* 2>/dev/null || true
}
trap 'rc=$?; stop_copies; _clean_up $rc' EXIT
pgvault_jar

init_cluster "$PGDATA_DIR"
start_cluster "$PGDATA_DIR" <<EOF
archive_mode = on
archive_command = ''
max_wal_senders = 10
EOF
PGCONN=(-h 127.0.0.1 -p "$PGPORT" -U postgres)
sql() { "$BIN/psql" "${PGCONN[@]}" -qAt -d postgres -c "$1"; }
PG_VERSION=$(sql "SHOW server_version")

mkdir -p "$WORK/copies"
[[ $(id -u) -eq 0 ]] && chown postgres:postgres "$WORK/copies"
PGVAULT_ARGS="--pgvault.recovery.roots=$WORK/copies --pgvault.recovery.drill-directory=$WORK/copies/drills ${PGVAULT_ARGS:-}"
start_pgvault
api POST /api/v1/clusters "{\"name\":\"bench\",\"host\":\"127.0.0.1\",\"port\":$PGPORT,\"username\":\"postgres\"}" >/dev/null
config=$(api GET /api/v1/clusters/bench/archive-config)
jget .headerFileContent <<<"$config" | as_pg tee "$PGDATA_DIR/$(jget .headerFile <<<"$config")" >/dev/null
sql "ALTER SYSTEM SET archive_command = '$(jget .archiveCommand <<<"$config" | sed "s/'/''/g")'" >/dev/null
sql "SELECT pg_reload_conf()" >/dev/null

echo "pgbench -i -s $SCALE on PostgreSQL $PG_VERSION, port $PGPORT..." >&2
"$BIN/pgbench" "${PGCONN[@]}" -i -q -s "$SCALE" postgres >"$WORK/pgbench.log" 2>&1 || { cat "$WORK/pgbench.log" >&2; die "pgbench -i failed"; }
sql "CHECKPOINT" >/dev/null
CLUSTER_SIZE=$(du -sb "$PGDATA_DIR" | cut -f1)
read -r _ BACKUP_ID < <(pgvault_backup '{"kind":"BASE"}')
echo "pgbench for ${PGBENCH_SECONDS}s after the backup..." >&2
"$BIN/pgbench" "${PGCONN[@]}" -c 2 -T "$PGBENCH_SECONDS" postgres >>"$WORK/pgbench.log" 2>&1 || { cat "$WORK/pgbench.log" >&2; die "pgbench failed"; }
TARGET=$(sql "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
sleep 1.1
sql "UPDATE pgbench_branches SET bbalance = 0" >/dev/null
LAST=$(sql "SELECT pg_walfile_name(pg_switch_wal())")
for _ in $(seq 1 600); do
  [[ $(sql "SELECT last_archived_wal FROM pg_stat_archiver") == "$LAST" ]] && break
  sleep 0.1
done
[[ $(sql "SELECT last_archived_wal FROM pg_stat_archiver") == "$LAST" ]] || die "$LAST was never archived"
WAL_FILES=$(api GET /api/v1/clusters/bench/wal | jget .files)
ACCOUNTS=$(sql "SELECT count(*) FROM pgbench_accounts")

# job_seconds BODY PATH: starts the job, waits for SUCCEEDED; prints "seconds jobId"
job_seconds() {
  local start end job id
  start=$(now)
  job=$(api POST "$2" "$1")
  [[ $job =~ \"id\":\"([^\"]+)\" ]] || die "no job id in: $job"
  id=${BASH_REMATCH[1]}
  job=$(await_job "$id")
  end=$(now)
  echo "$(seconds "$start" "$end") $id"
}
full_recovery() {
  local dir=$WORK/copies/full-$1 result
  read -r secs id < <(job_seconds "{\"target\":{\"time\":\"$TARGET\"},\"dataDirectory\":\"$dir\"}" /api/v1/clusters/bench/recoveries)
  as_pg "$BIN/pg_ctl" -D "$dir" -m immediate -w stop >/dev/null 2>&1 || true
  as_pg rm -rf "$dir"
  echo "$secs"
}
extraction() {
  local secs id schema
  read -r secs id < <(job_seconds "{\"target\":{\"time\":\"$TARGET\"},\"database\":\"postgres\",\"tables\":[\"public.$1\"]}" /api/v1/clusters/bench/extractions)
  schema=$(api GET "/api/v1/jobs/$id" | jget .result.into.schema)
  rows=$(api GET "/api/v1/jobs/$id" | jget '.result.tables[0].rows')
  [[ -n $rows ]] || die "extraction $id reported no rows"
  echo "$rows" >"$WORK/rows-$1"
  sql "DROP SCHEMA \"$schema\" CASCADE" >/dev/null
  echo "$secs"
}

echo "warm-up..." >&2
full_recovery warm >/dev/null
extraction pgbench_branches >/dev/null
: >"$WORK/full" ; : >"$WORK/small" ; : >"$WORK/large"
for run in $(seq 1 "$RUNS"); do
  echo "run $run/$RUNS..." >&2
  full_recovery "$run" >>"$WORK/full"
  extraction pgbench_branches >>"$WORK/small"
  extraction pgbench_accounts >>"$WORK/large"
done
[[ $(cat "$WORK/rows-pgbench_accounts") == "$ACCOUNTS" ]] || die "pgbench_accounts came back with $(cat "$WORK/rows-pgbench_accounts") rows, not $ACCOUNTS"

read -r full_min full_med full_max < <(stats <"$WORK/full")
read -r small_min small_med small_max < <(stats <"$WORK/small")
read -r large_min large_med large_max < <(stats <"$WORK/large")
echo
echo "pgbench scale $SCALE ($(mib "$CLUSTER_SIZE") MiB cluster, $ACCOUNTS accounts), PostgreSQL $PG_VERSION, $(nproc) cores;"
echo "$WAL_FILES archived WAL files after ${PGBENCH_SECONDS}s of pgbench; every run recovers to the same time; $RUNS runs, alternated"
echo
echo "| what (request to SUCCEEDED) | median s | min s | max s | ratio to full recovery |"
echo "|---|---:|---:|---:|---:|"
echo "| full recovery into a new directory (server promoted) | $full_med | $full_min | $full_max | 1.00 |"
echo "| extraction of pgbench_branches ($SCALE rows) into a new schema | $small_med | $small_min | $small_max | $(ratio "$small_med" "$full_med") |"
echo "| extraction of pgbench_accounts ($ACCOUNTS rows) into a new schema | $large_med | $large_min | $large_max | $(ratio "$large_med" "$full_med") |"
