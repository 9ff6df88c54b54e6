#!/usr/bin/env bash
# Block store benchmark (docs/blocks.md), one throwaway pgbench cluster, one run of each, in this order:
#   1. pgvault BASE, format TAR (today's default: pg_basebackup tar files, zstd);
#   2. pgvault BASE, format BLOCKS, type FULL (an empty block store: every block is new);
#   3. pgBackRest full, compress-type=zst, process-max one per core (when pgbackrest is installed);
#   then pgbench -T 30 changes the database, and
#   4. pgvault BASE, format BLOCKS, type INCR (reads everything through pg_basebackup, stores new blocks);
#   5. pgBackRest incr, compress-type=zst (stores whole changed files);
#   6. pgvault BASE, format TAR again (what a second backup costs without the block store);
#   then an UPDATE of 1% of pgbench_accounts in one aid range (a change in one place), and
#   7. pgvault BLOCKS INCR and 8. pgBackRest incr again.
# Times are request to SUCCEEDED; stored bytes are what each backup added to its repository (pgvault's
# sizeBytes, pgBackRest's repository delta). Ratios are to pgvault TAR. Not a test: figures for people.
#
#   bench/blocks.sh [scale=50] [pgbench seconds=30]
#
# pgvault runs on the cluster's host here, so BLOCKS backups read the data directory themselves (the host reader,
# docs/blocks.md); PGVAULT_ARGS=--pgvault.blocks.host-read=false measures pg_basebackup's stream cut into blocks
# instead. Each BLOCKS row says which reader ran, and for an INCR how many files it reused unread.
#
# Environment: SKIP_BUILD=1 reuses target/pgvault-*.jar; NO_PGBACKREST=1 leaves pgBackRest out.
set -euo pipefail

SCALE=${1:-50}
CHANGE_SECONDS=${2:-30}
CORES=$(nproc)
cd "$(dirname "$0")/.."

BENCH=blocks
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pgvault-blocksbench-XXXXXX")
chmod 711 "$WORK"
source bench/lib.sh

[[ $SCALE =~ ^[0-9]+$ && $SCALE -ge 1 ]] || die "scale must be a positive integer, got '$SCALE'"
[[ $CHANGE_SECONDS =~ ^[0-9]+$ && $CHANGE_SECONDS -ge 1 ]] || die "pgbench seconds must be a positive integer"
BIN=$(find_bindir)
for tool in initdb pg_ctl pg_basebackup pgbench psql; do
  [[ -x $BIN/$tool ]] || die "$BIN/$tool is missing (apt-get install postgresql postgresql-contrib)"
done
command -v curl >/dev/null || die "curl is needed (apt-get install curl)"
PGBACKREST=1
if [[ ${NO_PGBACKREST:-0} == 1 ]] || ! type -P pgbackrest >/dev/null; then
  PGBACKREST=0
  echo "pgbackrest is not installed (apt-get install pgbackrest): its rows are left out" >&2
fi

PGDATA_DIR=$WORK/pg/data
clean_up_on_exit
pgvault_jar

mkdir -p "$WORK/store"
init_cluster "$PGDATA_DIR"
if [[ $PGBACKREST == 1 ]]; then
  ARCHIVE="archive_command = 'pgbackrest --config=$PBCONF --stanza=bench archive-push %p'"
else
  ARCHIVE="archive_command = '/bin/true'"
fi
start_cluster "$PGDATA_DIR" <<EOF
archive_mode = on
$ARCHIVE
max_wal_senders = 10
wal_keep_size = 2GB
EOF
if [[ $PGBACKREST == 1 ]]; then
  setup_pgbackrest
fi

PGCONN=(-h 127.0.0.1 -p "$PGPORT" -U postgres)
PG_VERSION=$("$BIN/psql" "${PGCONN[@]}" -qAt -d postgres -c "SHOW server_version")
echo "pgbench -i -s $SCALE on PostgreSQL $PG_VERSION, port $PGPORT..." >&2
"$BIN/pgbench" "${PGCONN[@]}" -i -q -s "$SCALE" postgres >"$WORK/pgbench.log" 2>&1 || { cat "$WORK/pgbench.log" >&2; die "pgbench -i failed"; }
"$BIN/psql" "${PGCONN[@]}" -qAt -d postgres -c "CHECKPOINT"
CLUSTER_SIZE=$(du -sb "$PGDATA_DIR" | cut -f1)

start_pgvault
api POST /api/v1/clusters "{\"name\":\"bench\",\"host\":\"127.0.0.1\",\"port\":$PGPORT,\"username\":\"postgres\"}" >/dev/null

# measure NAME BODY: one pgvault backup; appends "name|seconds|sizeBytes|dataSizeBytes" to the results
measure() {
  local result took id b
  sync
  result=$(pgvault_backup "$2")
  read -r took id <<<"$result"
  b=$(api GET "/api/v1/backups/$id")
  local name=$1 log reused
  if [[ $2 == *BLOCKS* ]]; then
    log=$(curl -fsS -H "Authorization: Bearer $PGVAULT_TOKEN" "$API/api/v1/jobs/$(jget .jobId <<<"$b")/log")
    if grep -q "pgvault: reader: the data directory" <<<"$log"; then
      reused=$(grep -o '[0-9]* reused unread' <<<"$log" | head -n 1 | cut -d' ' -f1)
      name="$name [host reader, ${reused:-0} files reused unread]"
    else
      name="$name [pg_basebackup stream]"
    fi
  fi
  echo "$name|$took|$(jget .sizeBytes <<<"$b")|$(jget .dataSizeBytes <<<"$b")" >>"$WORK/results"
  echo "$name: $took s" >&2
}
# measure_pgbackrest NAME TYPE: one pgBackRest backup of that type
measure_pgbackrest() {
  local start took info
  [[ $PGBACKREST == 1 ]] || return 0
  sync
  start=$(now)
  pgbackrest --type="$2" --compress-type=zst backup >"$WORK/pgbackrest/backup.log" 2>&1 \
    || { cat "$WORK/pgbackrest/backup.log" >&2; die "pgbackrest backup failed"; }
  took=$(seconds "$start" "$(now)")
  info=$(pgbackrest --output=json info)
  echo "$1|$took|$(jget '.[0].backup[-1].info.repository.delta' <<<"$info")|$(jget '.[0].backup[-1].info.size' <<<"$info")" >>"$WORK/results"
  echo "$1: $took s" >&2
}

: >"$WORK/results"
measure "pgvault BASE, format TAR (default)" '{"kind":"BASE"}'
measure "pgvault BASE, format BLOCKS, FULL (empty block store)" '{"kind":"BASE","format":"BLOCKS"}'
measure_pgbackrest "pgBackRest full, zst, process-max $CORES" full
echo "pgbench -T $CHANGE_SECONDS..." >&2
"$BIN/pgbench" "${PGCONN[@]}" -T "$CHANGE_SECONDS" -c 2 postgres >"$WORK/pgbench-run.log" 2>&1 || { cat "$WORK/pgbench-run.log" >&2; die "pgbench failed"; }
"$BIN/psql" "${PGCONN[@]}" -qAt -d postgres -c "CHECKPOINT"
measure "pgvault BASE, format BLOCKS, INCR after pgbench -T $CHANGE_SECONDS" '{"kind":"BASE","format":"BLOCKS","type":"INCR"}'
measure_pgbackrest "pgBackRest incr, zst, after pgbench -T $CHANGE_SECONDS" incr
measure "pgvault BASE, format TAR, after pgbench -T $CHANGE_SECONDS" '{"kind":"BASE"}'
# a change in one place (pgbench's random updates touch nearly every 1 MiB block of pgbench_accounts)
ROWS=$((SCALE * 1000))
"$BIN/psql" "${PGCONN[@]}" -qAt -d postgres -c "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid <= $ROWS" -c "CHECKPOINT" >/dev/null
measure "pgvault BASE, format BLOCKS, INCR after updating aid <= $ROWS (1% of pgbench_accounts)" '{"kind":"BASE","format":"BLOCKS","type":"INCR"}'
measure_pgbackrest "pgBackRest incr, zst, after updating aid <= $ROWS" incr

TAR_TIME=$(head -n 1 "$WORK/results" | cut -d'|' -f2)
TAR_SIZE=$(head -n 1 "$WORK/results" | cut -d'|' -f3)
echo
echo "## Block store: pgbench scale $SCALE ($(mib "$CLUSTER_SIZE") MiB data directory), PostgreSQL $PG_VERSION, $CORES cores, one run each"
echo
echo "| what | seconds | stored MiB (added) | restores MiB | time / TAR | stored / TAR |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
while IFS='|' read -r name took size data; do
  restores=-
  [[ -n $data ]] && restores=$(mib "$data")
  echo "| $name | $took | $(mib "${size:-0}") | $restores | $(ratio "$took" "$TAR_TIME") | $(ratio "${size:-0}" "$TAR_SIZE") |"
done <"$WORK/results"
echo
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
