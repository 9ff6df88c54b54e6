#!/usr/bin/env bash
# Logical backup benchmark: raw `pg_dump -Fc` against a pgvault DUMP/CUSTOM backup of the same
# pgbench database, alternated run by run on one throwaway cluster, plus pgvault's heap use at
# scale 1 and at the requested scale (streaming should keep it flat).
#
#   bench/logical-backup.sh [scale=50] [runs=5]
#
# Environment: SKIP_BUILD=1 reuses target/pgvault-*.jar; RAW_ONLY=1 measures pg_dump alone
# (checks the cluster set-up without a server); PGVAULT_TOKEN adds "Authorization: Bearer ...".
set -euo pipefail

SCALE=${1:-50}
RUNS=${2:-5}
cd "$(dirname "$0")/.."

BENCH=logical-backup
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pgvault-bench-XXXXXX")
chmod 711 "$WORK"
source bench/lib.sh

[[ $SCALE =~ ^[0-9]+$ && $SCALE -ge 1 ]] || die "scale must be a positive integer, got '$SCALE'"
[[ $RUNS =~ ^[0-9]+$ && $RUNS -ge 1 ]] || die "runs must be a positive integer, got '$RUNS'"

BIN=$(find_bindir)
for tool in initdb pg_ctl pg_dump pgbench psql; do
  [[ -x $BIN/$tool ]] || die "$BIN/$tool is missing (apt-get install postgresql postgresql-contrib)"
done
command -v curl >/dev/null || die "curl is needed (apt-get install curl)"

# --- clean-up --------------------------------------------------------------------------------
PGDATA_DIR=$WORK/pg/data
clean_up_on_exit

[[ ${RAW_ONLY:-0} == 1 ]] || pgvault_jar

# --- throwaway cluster -----------------------------------------------------------------------
mkdir -p "$WORK/store"
init_cluster "$PGDATA_DIR"
start_cluster "$PGDATA_DIR" <<<"fsync = off   # the load is throwaway; the dumps read, they do not write WAL"

PGCONN=(-h 127.0.0.1 -p "$PGPORT" -U postgres)
"$BIN/psql" "${PGCONN[@]}" -qAt -d postgres -c "CREATE DATABASE bench" -c "CREATE DATABASE bench1"
PG_VERSION=$("$BIN/psql" "${PGCONN[@]}" -qAt -d postgres -c "SHOW server_version")
echo "pgbench -i -s 1 (bench1) and -s $SCALE (bench) on PostgreSQL $PG_VERSION, port $PGPORT..." >&2
"$BIN/pgbench" "${PGCONN[@]}" -i -q -s 1 bench1 >"$WORK/pgbench1.log" 2>&1 || { cat "$WORK/pgbench1.log" >&2; die "pgbench -i failed"; }
"$BIN/pgbench" "${PGCONN[@]}" -i -q -s "$SCALE" bench >"$WORK/pgbench.log" 2>&1 || { cat "$WORK/pgbench.log" >&2; die "pgbench -i failed"; }
DB_SIZE=$("$BIN/psql" "${PGCONN[@]}" -qAt -d bench -c "SELECT pg_database_size('bench')")

raw_dump() { "$BIN/pg_dump" -Fc "${PGCONN[@]}" -f "$WORK/raw.dump" bench; }
# pgvault fsyncs what it stores before it says SUCCEEDED; this is the raw dump made as durable
raw_dump_synced() { raw_dump && sync "$WORK/raw.dump"; }

# --- pgvault ---------------------------------------------------------------------------------
heap_used() { api GET '/actuator/metrics/jvm.memory.used?tag=area:heap' | jget '.measurements[0].value'; }
# pgvault_dump DB: a DUMP/CUSTOM backup; prints "seconds backupId"
pgvault_dump() { pgvault_backup "{\"kind\":\"DUMP\",\"database\":\"$1\",\"format\":\"CUSTOM\"}"; }

if [[ ${RAW_ONLY:-0} != 1 ]]; then
  start_pgvault
  api POST /api/v1/clusters "{\"name\":\"bench\",\"host\":\"127.0.0.1\",\"port\":$PGPORT,\"username\":\"postgres\"}" >/dev/null

  # scale 1 first: the heap growth to compare with the big run's (also warms pgvault up)
  HEAP1_BEFORE=$(heap_used)
  pgvault_dump bench1 >/dev/null
  HEAP1_AFTER=$(heap_used)
  # warm-up, untimed: a fresh JVM spends its first seconds compiling (C2 took ~12 s of CPU here),
  # which on a small machine slows the dump tool it runs next to
  for _ in 1 2 3 4 5; do pgvault_dump bench1 >/dev/null; done
  pgvault_dump bench >/dev/null
fi

# --- measure, alternating ------------------------------------------------------------------------
raw_dump # warm-up, untimed: both sides then read from a warm cache
: >"$WORK/raw.times"
: >"$WORK/rawsync.times"
: >"$WORK/pgvault.times"
: >"$WORK/pgvault-job.times"
HEAP_BEFORE=""
HEAP_AFTER_MAX=0
for run in $(seq 1 "$RUNS"); do
  start=$(now)
  raw_dump
  seconds "$start" "$(now)" >>"$WORK/raw.times"
  sync
  start=$(now)
  raw_dump_synced
  seconds "$start" "$(now)" >>"$WORK/rawsync.times"
  if [[ ${RAW_ONLY:-0} != 1 ]]; then
    [[ -n $HEAP_BEFORE ]] || HEAP_BEFORE=$(heap_used)
    start=$(now)
    result=$(pgvault_dump bench)
    read -r took BACKUP_ID <<<"$result"
    # the backup is SUCCEEDED (stored, durable, listed) when its catalog entry says it finished; the job goes
    # on to count the dump's rows for restore drills, in the dump's snapshot, and ends after that
    finished=$(api GET "/api/v1/backups/$BACKUP_ID" | jget .finishedAt)
    seconds "$start" "$(date -d "$finished" +%s.%N)" >>"$WORK/pgvault.times"
    echo "$took" >>"$WORK/pgvault-job.times"
    heap=$(heap_used)
    HEAP_AFTER_MAX=$(awk -v a="$heap" -v b="$HEAP_AFTER_MAX" 'BEGIN { print (a > b ? a : b) }')
    sync
  fi
  echo "run $run/$RUNS done" >&2
done

# --- report ------------------------------------------------------------------------------------
RAW_SIZE=$(stat -c %s "$WORK/raw.dump")
read -r raw_min raw_med raw_max < <(stats <"$WORK/raw.times")
echo
echo "## Logical backup: pgbench scale $SCALE ($(mib "$DB_SIZE") MiB database), PostgreSQL $PG_VERSION, $RUNS runs each, alternated"
echo
echo "| what | median s | min s | max s |"
echo "| --- | ---: | ---: | ---: |"
echo "| raw \`pg_dump -Fc\` to a file | $raw_med | $raw_min | $raw_max |"
read -r rs_min rs_med rs_max < <(stats <"$WORK/rawsync.times")
echo "| raw \`pg_dump -Fc\` + fsync of the file | $rs_med | $rs_min | $rs_max |"
if [[ ${RAW_ONLY:-0} != 1 ]]; then
  read -r pv_min pv_med pv_max < <(stats <"$WORK/pgvault.times")
  echo "| pgvault DUMP CUSTOM, request to SUCCEEDED | $pv_med | $pv_min | $pv_max |"
  read -r pj_min pj_med pj_max < <(stats <"$WORK/pgvault-job.times")
  echo "| pgvault DUMP CUSTOM, request to the job's end (row counts for drills taken after SUCCEEDED) | $pj_med | $pj_min | $pj_max |"
  echo
  echo "pgvault / raw (medians): $(awk -v a="$pv_med" -v b="$raw_med" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')x;" \
    "pgvault / raw + fsync: $(awk -v a="$pv_med" -v b="$rs_med" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')x"
  PV_SIZE=$(api GET "/api/v1/backups/$BACKUP_ID" | jget .sizeBytes)
  echo
  echo "Dump size: raw $RAW_SIZE bytes, pgvault $PV_SIZE bytes" \
    "($(awk -v a="$PV_SIZE" -v b="$RAW_SIZE" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')x)"
  echo
  echo "Heap used (MiB): scale 1 $(mib "$HEAP1_BEFORE") -> $(mib "$HEAP1_AFTER");" \
    "scale $SCALE $(mib "$HEAP_BEFORE") -> $(mib "$HEAP_AFTER_MAX") (highest after a run)"
else
  echo
  echo "Dump size: raw $RAW_SIZE bytes (RAW_ONLY=1: pgvault not measured)"
fi
