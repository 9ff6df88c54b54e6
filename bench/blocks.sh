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
# sizeBytes, pgBackRest's repository delta). Ratios are to pgvault TAR. Then restores (a second table):
#   9. the BLOCKS FULL (2) restored by pgvault into a new directory, promoted; 10. pgBackRest's full (3) the same way;
#   then the cluster changed again (the same 1% update), and 11. pgvault's delta recovery of the cluster in place
#   to the INCR after pgbench (4): server stopped, only differing blocks written, promoted; then the same update
#   again, and 12. pgBackRest restore --delta of its incr after pgbench (5), stop and start included.
# Not a test: figures for people.
#
#   bench/blocks.sh [scale=50] [pgbench seconds=30]
#
# pgvault runs on the cluster's host here, so BLOCKS backups read the data directory themselves (the host reader,
# docs/blocks.md); PGVAULT_ARGS=--pgvault.blocks.host-read=false measures pg_basebackup's stream cut into blocks
# instead. Each BLOCKS row says which reader ran, and for an INCR how many files it reused unread.
#
# pgvault's JVM runs with -Xmx512m (PGVAULT_JAVA_OPTS to change it): a run that ends is a run within that heap; its
# peak resident size is printed at the end.
#
# Environment: SKIP_BUILD=1 reuses target/pgvault-*.jar; NO_PGBACKREST=1 leaves pgBackRest out (else it is installed
# from Debian's packages when missing, as root).
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
if [[ ${NO_PGBACKREST:-0} == 1 ]]; then
  PGBACKREST=0
else
  need_packages pgbackrest
fi

PGDATA_DIR=$WORK/pg/data
clean_up_on_exit
trap 'rc=$?; stop_copies; _clean_up $rc' EXIT
pgvault_jar

mkdir -p "$WORK/store"
make_copies
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

PGVAULT_JAVA_OPTS=${PGVAULT_JAVA_OPTS:--Xmx512m}
PGVAULT_ARGS="--pgvault.recovery.roots=$WORK/copies,$WORK/pg --pgvault.recovery.drill-directory=$WORK/copies/drills ${PGVAULT_ARGS:-}"
start_pgvault
api POST /api/v1/clusters "{\"name\":\"bench\",\"host\":\"127.0.0.1\",\"port\":$PGPORT,\"username\":\"postgres\"}" >/dev/null

# measure NAME BODY: one pgvault backup; appends "name|seconds|sizeBytes|dataSizeBytes|backupId" to the results
measure() {
  local result took id b
  sync
  result=$(pgvault_backup "$2")
  read -r took id <<<"$result"
  b=$(api GET "/api/v1/backups/$id")
  local name=$1 log reused deltas
  if [[ $2 == *BLOCKS* ]]; then
    log=$(curl -fsS -H "Authorization: Bearer $PGVAULT_TOKEN" "$API/api/v1/jobs/$(jget .jobId <<<"$b")/log")
    if grep -q "pgvault: reader: the data directory" <<<"$log"; then
      reused=$(grep -o '[0-9]* reused unread' <<<"$log" | head -n 1 | cut -d' ' -f1)
      name="$name [host reader, ${reused:-0} files reused unread]"
    else
      name="$name [pg_basebackup stream]"
    fi
    deltas=$(grep -o '[0-9]* new ([0-9]* bytes stored, [0-9]* of them as page deltas)' <<<"$log" | head -n 1 \
      | sed -E 's/^([0-9]+) new \([0-9]+ bytes stored, ([0-9]+) of them.*/\2 of \1 new blocks as page deltas/')
    [[ -n $deltas ]] && name="$name [$deltas]"
  fi
  echo "$name|$took|$(jget .sizeBytes <<<"$b")|$(jget .dataSizeBytes <<<"$b")|$id" >>"$WORK/results"
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
  echo "$1|$took|$(jget '.[0].backup[-1].info.repository.delta' <<<"$info")|$(jget '.[0].backup[-1].info.size' <<<"$info")|$(jget '.[0].backup[-1].label' <<<"$info")" >>"$WORK/results"
  echo "$1: $took s" >&2
}

: >"$WORK/results"
measure "pgvault BASE, format TAR (default)" '{"kind":"BASE"}'
measure "pgvault BASE, format BLOCKS, FULL (empty block store)" '{"kind":"BASE","format":"BLOCKS"}'
measure_pgbackrest "pgBackRest full, zst, process-max $CORES" full
echo "pgbench -T $CHANGE_SECONDS..." >&2
"$BIN/pgbench" "${PGCONN[@]}" -T "$CHANGE_SECONDS" -c 2 postgres >"$WORK/pgbench-run.log" 2>&1 || { cat "$WORK/pgbench-run.log" >&2; die "pgbench failed"; }
grep -m1 "^tps" "$WORK/pgbench-run.log" >&2 || true
"$BIN/psql" "${PGCONN[@]}" -qAt -d postgres -c "CHECKPOINT"
measure "pgvault BASE, format BLOCKS, INCR after pgbench -T $CHANGE_SECONDS" '{"kind":"BASE","format":"BLOCKS","type":"INCR"}'
measure_pgbackrest "pgBackRest incr, zst, after pgbench -T $CHANGE_SECONDS" incr
measure "pgvault BASE, format TAR, after pgbench -T $CHANGE_SECONDS" '{"kind":"BASE"}'
# a change in one place (pgbench's random updates touch nearly every 1 MiB block of pgbench_accounts)
ROWS=$((SCALE * 1000))
"$BIN/psql" "${PGCONN[@]}" -qAt -d postgres -c "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid <= $ROWS" -c "CHECKPOINT" >/dev/null
measure "pgvault BASE, format BLOCKS, INCR after updating aid <= $ROWS (1% of pgbench_accounts)" '{"kind":"BASE","format":"BLOCKS","type":"INCR"}'
measure_pgbackrest "pgBackRest incr, zst, after updating aid <= $ROWS" incr


# restores; the backups by their row in the results: 2 BLOCKS FULL, 3 pgBackRest full, 4 BLOCKS INCR after pgbench,
# 5 pgBackRest incr after pgbench
backup_of() { sed -n "${1}p" "$WORK/results" | cut -d'|' -f5; }
: >"$WORK/restores"
restored() { echo "$1|$2|$3" >>"$WORK/restores"; echo "$1: $2 s" >&2; }
sync
start=$(now)
job=$(api POST "/api/v1/backups/$(backup_of 2)/restores" "{\"dataDirectory\":\"$WORK/copies/pgvault-full\"}")
[[ $job =~ \"id\":\"([^\"]+)\" ]] || die "no job id in: $job"
job_id=${BASH_REMATCH[1]}
job=$(await_job "$job_id")
took=$(seconds "$start" "$(now)")
unpacked=$(curl -fsS "${AUTH[@]}" "$API/api/v1/jobs/$job_id/log" | grep -o 'unpacked in [0-9.]* s' | head -n 1)
restored "pgvault restore of the BLOCKS FULL into a new directory, promoted" "$took" "${unpacked:--}"
[[ $job =~ \"port\":([0-9]+) ]] && [[ $(answers "${BASH_REMATCH[1]}") -eq $SCALE ]] || die "the pgvault copy does not answer"
stop_copies
if [[ $PGBACKREST == 1 ]]; then
  sync
  start=$(now)
  dir=$WORK/copies/pgbackrest-full
  port=$(free_port)
  as_pg mkdir -m 700 "$dir"
  pgbackrest --pg1-path="$dir" --set="$(backup_of 3)" --type=immediate --target-action=promote restore \
    >"$WORK/pgbackrest/restore.log" 2>&1 || { cat "$WORK/pgbackrest/restore.log" >&2; die "pgbackrest restore failed"; }
  printf "port = %s\nunix_socket_directories = '%s'\narchive_mode = off\n" "$port" "$WORK/copies" \
    | as_pg tee -a "$dir/postgresql.auto.conf" >/dev/null
  as_pg "$BIN/pg_ctl" -D "$dir" -l "$dir/log" -W start >/dev/null
  await_promoted "$port" "$dir"
  restored "pgBackRest restore of its full into a new directory, then pg_ctl start, promoted" "$(seconds "$start" "$(now)")" -
  [[ $(answers "$port") -eq $SCALE ]] || die "the pgBackRest copy does not answer"
  stop_copies
fi
change_again() {
  "$BIN/psql" "${PGCONN[@]}" -qAt -d postgres -c "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid <= $ROWS" \
    -c "CHECKPOINT" >/dev/null
}
change_again
sync
start=$(now)
job=$(api POST /api/v1/clusters/bench/recoveries "{\"target\":{\"immediate\":true},\"backupId\":\"$(backup_of 4)\",\"dataDirectory\":\"$PGDATA_DIR\",\"replaceExisting\":true,\"delta\":true}")
[[ $job =~ \"id\":\"([^\"]+)\" ]] || die "no job id in: $job"
job_id=${BASH_REMATCH[1]}
await_job "$job_id" >/dev/null
await_promoted "$PGPORT" "$(dirname "$PGDATA_DIR")"
took=$(seconds "$start" "$(now)")
delta=$(curl -fsS "${AUTH[@]}" "$API/api/v1/jobs/$job_id/log" | grep -o 'delta restore: [0-9].*' | head -n 1)
restored "pgvault delta recovery in place to the INCR after pgbench (server stopped, compared, promoted)" "$took" "$delta"
[[ $(answers "$PGPORT") -eq $SCALE ]] || die "the cluster does not answer after pgvault's delta recovery"
if [[ $PGBACKREST == 1 ]]; then
  change_again
  sync
  start=$(now)
  as_pg "$BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null
  pgbackrest --delta --set="$(backup_of 5)" --type=immediate --target-action=promote restore \
    >"$WORK/pgbackrest/restore.log" 2>&1 || { cat "$WORK/pgbackrest/restore.log" >&2; die "pgbackrest restore --delta failed"; }
  as_pg "$BIN/pg_ctl" -D "$PGDATA_DIR" -w -t 600 -l "$(dirname "$PGDATA_DIR")/server.log" start >/dev/null
  await_promoted "$PGPORT" "$(dirname "$PGDATA_DIR")"
  restored "pgBackRest restore --delta of its incr after pgbench (pg_ctl stop, restore, start, promoted)" "$(seconds "$start" "$(now)")" -
  [[ $(answers "$PGPORT") -eq $SCALE ]] || die "the cluster does not answer after pgBackRest's delta restore"
fi
PEAK_RSS=$(awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$APP_PID/status")

TAR_TIME=$(head -n 1 "$WORK/results" | cut -d'|' -f2)
TAR_SIZE=$(head -n 1 "$WORK/results" | cut -d'|' -f3)
echo
echo "## Block store: pgbench scale $SCALE ($(mib "$CLUSTER_SIZE") MiB data directory), PostgreSQL $PG_VERSION, $CORES cores, one run each"
echo
echo "| what | seconds | stored MiB (added) | restores MiB | time / TAR | stored / TAR |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
while IFS='|' read -r name took size data _; do
  restores=-
  [[ -n $data ]] && restores=$(mib "$data")
  echo "| $name | $took | $(mib "${size:-0}") | $restores | $(ratio "$took" "$TAR_TIME") | $(ratio "${size:-0}" "$TAR_SIZE") |"
done <"$WORK/results"
echo
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
FULL_RESTORE=$(sed -n 1p "$WORK/restores" | cut -d'|' -f2)
echo
echo "## Restores: the same cluster"
echo
echo "| what | seconds | time / pgvault full restore | what the job log says |"
echo "| --- | ---: | ---: | --- |"
while IFS='|' read -r name took said; do
  echo "| $name | $took | $(ratio "$took" "$FULL_RESTORE") | $said |"
done <"$WORK/restores"
echo
echo "pgvault ran with ${PGVAULT_JAVA_OPTS}; its peak resident size: ${PEAK_RSS} MiB."
