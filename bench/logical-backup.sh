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

die() { echo "logical-backup: $*" >&2; exit 1; }
[[ $SCALE =~ ^[0-9]+$ && $SCALE -ge 1 ]] || die "scale must be a positive integer, got '$SCALE'"
[[ $RUNS =~ ^[0-9]+$ && $RUNS -ge 1 ]] || die "runs must be a positive integer, got '$RUNS'"

# --- tools -----------------------------------------------------------------------------------
find_bindir() {
  local best="" dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
    [[ -x $dir/pg_ctl ]] && best=$dir
  done
  if [[ -z $best ]] && command -v pg_config >/dev/null; then
    dir=$(pg_config --bindir) && [[ -x $dir/pg_ctl ]] && best=$dir
  fi
  if [[ -z $best ]] && command -v pg_ctl >/dev/null; then
    best=$(dirname "$(command -v pg_ctl)")
  fi
  [[ -n $best ]] || die "no PostgreSQL binaries: install postgresql (apt-get install postgresql)"
  echo "$best"
}
BIN=$(find_bindir)
for tool in initdb pg_ctl pg_dump pgbench psql; do
  [[ -x $BIN/$tool ]] || die "$BIN/$tool is missing (apt-get install postgresql postgresql-contrib)"
done
command -v curl >/dev/null || die "curl is needed (apt-get install curl)"

if command -v jq >/dev/null; then
  jget() { jq -r "$1 // empty"; }
elif command -v python3 >/dev/null; then
  echo "jq not found: reading JSON with python3, which slows the job polling (apt-get install jq)" >&2
  # a jq subset: .a.b[0].c
  jget() {
    python3 -c '
import json, re, sys
value = json.load(sys.stdin)
for name, index in re.findall(r"\.(\w+)|\[(\d+)\]", sys.argv[1]):
    try:
        value = value[name] if name else value[int(index)]
    except (KeyError, IndexError, TypeError):
        value = None
        break
print("" if value is None else value)' "$1"
  }
else
  die "jq or python3 is needed to read JSON (apt-get install jq)"
fi

# PostgreSQL refuses to run as root: the server runs as the postgres OS user then.
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  local port
  for _ in $(seq 1 100); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  die "no free port found"
}

now() { date +%s.%N; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", b - a }'; }
# min, median, max of the numbers on stdin, one per line
stats() { sort -g | awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
  printf "%.3f %.3f %.3f\n", v[1], m, v[NR] }'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

# --- clean-up --------------------------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pgvault-bench-XXXXXX")
PGDATA_DIR=$WORK/pg/data
APP_PID=""
cleanup() {
  local rc=$?
  if [[ -n $APP_PID ]] && kill -0 "$APP_PID" 2>/dev/null; then
    kill "$APP_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$APP_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$APP_PID" 2>/dev/null || true
  fi
  if [[ -f $PGDATA_DIR/postmaster.pid ]]; then
    as_pg "$BIN/pg_ctl" -D "$PGDATA_DIR" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- build -----------------------------------------------------------------------------------
if [[ ${RAW_ONLY:-0} != 1 ]]; then
  if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    echo "building the jar..." >&2
    ./mvnw -q -DskipTests package
  fi
  JAR=$(ls target/pgvault-*.jar 2>/dev/null | grep -v -- '-plain\.jar$' | head -n 1 || true)
  [[ -n $JAR ]] || die "no target/pgvault-*.jar (build it, or unset SKIP_BUILD)"
fi

# --- throwaway cluster -----------------------------------------------------------------------
mkdir -p "$WORK/pg" "$WORK/store"
chmod 711 "$WORK"
[[ $(id -u) -eq 0 ]] && chown postgres:postgres "$WORK/pg"
as_pg "$BIN/initdb" -D "$PGDATA_DIR" -A trust -U postgres --no-sync -E UTF8 --locale=C >"$WORK/initdb.log" 2>&1 \
  || { cat "$WORK/initdb.log" >&2; die "initdb failed"; }
cp "$PGDATA_DIR/postgresql.conf" "$WORK/postgresql.conf.initdb"
started=""
for _ in 1 2 3; do
  PGPORT=$(free_port)
  { cat "$WORK/postgresql.conf.initdb"
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $PGPORT"
    echo "unix_socket_directories = '$WORK/pg'"
    echo "fsync = off   # the load is throwaway; the dumps read, they do not write WAL"
  } | as_pg tee "$PGDATA_DIR/postgresql.conf" >/dev/null
  if as_pg "$BIN/pg_ctl" -D "$PGDATA_DIR" -w -t 60 -l "$WORK/pg/server.log" start >/dev/null 2>&1; then
    started=1; break
  fi
  grep -q "could not bind" "$WORK/pg/server.log" 2>/dev/null || break
done
[[ -n $started ]] || { cat "$WORK/pg/server.log" >&2; die "the cluster did not start"; }

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
API=""
AUTH=()
[[ -n ${PGVAULT_TOKEN:-} ]] && AUTH=(-H "Authorization: Bearer $PGVAULT_TOKEN")

# api METHOD PATH [JSON]: prints the body; fails on an HTTP error with the body
api() {
  local code data=()
  [[ $# -ge 3 ]] && data=(--data "$3")
  code=$(curl -sS -o "$WORK/answer.json" -w '%{http_code}' -X "$1" "${AUTH[@]}" \
    -H 'Content-Type: application/json' -H 'Accept: application/json' "${data[@]}" "$API$2") \
    || die "$1 $2: no answer"
  [[ $code -lt 400 ]] || die "$1 $2 answered $code: $(cat "$WORK/answer.json")"
  cat "$WORK/answer.json"
}

heap_used() { api GET '/actuator/metrics/jvm.memory.used?tag=area:heap' | jget '.measurements[0].value'; }

# pgvault_backup DB: starts a DUMP/CUSTOM backup, waits for SUCCEEDED; prints "seconds backupId"
pgvault_backup() {
  local start job id backup status
  start=$(now)
  job=$(api POST /api/v1/clusters/bench/backups "{\"kind\":\"DUMP\",\"database\":\"$1\",\"format\":\"CUSTOM\"}")
  id=$(jget .id <<<"$job")
  backup=$(jget .backupId <<<"$job")
  [[ -n $id ]] || die "no job id in: $job"
  # one request that answers when the job ends: no polling load next to the dump being measured
  while :; do
    job=$(api GET "/api/v1/jobs/$id?waitSeconds=600")
    status=$(jget .status <<<"$job")
    case $status in
      SUCCEEDED) break ;;
      FAILED | CANCELLED) die "backup job $id $status: $job $(api GET "/api/v1/jobs/$id/log" || true)" ;;
    esac
  done
  local took
  took=$(seconds "$start" "$(now)")
  # the automatic verification that follows is not part of the backup's time, but it must not
  # overlap the next measurement either
  while [[ $(api GET "/api/v1/backups/$backup" | jget .verification.status) == UNVERIFIED ]]; do sleep 0.2; done
  echo "$took $backup"
}

if [[ ${RAW_ONLY:-0} != 1 ]]; then
  APP_PORT=$(free_port)
  API=http://127.0.0.1:$APP_PORT
  java -jar "$JAR" --server.port="$APP_PORT" --pgvault.storage.local.root="$WORK/store" \
    --spring.datasource.url="jdbc:h2:file:$WORK/catalog" >"$WORK/pgvault.log" 2>&1 &
  APP_PID=$!
  echo "waiting for pgvault on port $APP_PORT..." >&2
  for _ in $(seq 1 240); do
    curl -fsS "$API/actuator/health" 2>/dev/null | grep -q '"UP"' && break
    kill -0 "$APP_PID" 2>/dev/null || { tail -n 50 "$WORK/pgvault.log" >&2; die "pgvault exited"; }
    sleep 0.5
  done
  curl -fsS "$API/actuator/health" 2>/dev/null | grep -q '"UP"' || { tail -n 50 "$WORK/pgvault.log" >&2; die "pgvault is not UP"; }
  api POST /api/v1/clusters "{\"name\":\"bench\",\"host\":\"127.0.0.1\",\"port\":$PGPORT,\"username\":\"postgres\"}" >/dev/null

  # scale 1 first: the heap growth to compare with the big run's (also warms pgvault up)
  HEAP1_BEFORE=$(heap_used)
  pgvault_backup bench1 >/dev/null
  HEAP1_AFTER=$(heap_used)
  # warm-up, untimed: a fresh JVM spends its first seconds compiling (C2 took ~12 s of CPU here),
  # which on a small machine slows the dump tool it runs next to
  for _ in 1 2 3 4 5; do pgvault_backup bench1 >/dev/null; done
  pgvault_backup bench >/dev/null
fi

# --- measure, alternating ------------------------------------------------------------------------
raw_dump # warm-up, untimed: both sides then read from a warm cache
: >"$WORK/raw.times"
: >"$WORK/rawsync.times"
: >"$WORK/pgvault.times"
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
    result=$(pgvault_backup bench)
    read -r took BACKUP_ID <<<"$result"
    echo "$took" >>"$WORK/pgvault.times"
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
