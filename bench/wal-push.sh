#!/usr/bin/env bash
# WAL push benchmark: N segments of 16 MiB archived one after the other (as archive_command does),
# through pgvault's PUT endpoint with curl, against `cp` + `sync` of each file into a directory.
# The segments are random bytes behind a valid long page header for the benchmark's cluster (pgvault
# checks size and header on every push).
# Both are durable per file before the next starts. Rounds alternate; medians are reported.
#
#   bench/wal-push.sh [segments=20] [rounds=3]
#
# Environment: SKIP_BUILD=1 reuses target/pgvault-*.jar.
set -euo pipefail

SEGMENTS=${1:-20}
ROUNDS=${2:-3}
cd "$(dirname "$0")/.."
die() { echo "wal-push: $*" >&2; exit 1; }
[[ $SEGMENTS =~ ^[0-9]+$ && $SEGMENTS -ge 1 ]] || die "segments must be a positive integer"
[[ $ROUNDS =~ ^[0-9]+$ && $ROUNDS -ge 1 ]] || die "rounds must be a positive integer"
[[ $SEGMENTS -le 255 ]] || die "at most 255 segments (the segment names of one 4 GiB log)"

BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[[ -x $BIN/initdb ]] || die "no PostgreSQL binaries (apt-get install postgresql)"
command -v curl >/dev/null || die "curl is needed"
[[ ${SKIP_BUILD:-0} == 1 ]] || ./mvnw -q -B -DskipTests package
JAR=$(ls target/pgvault-*.jar | grep -v plain | head -n 1)

WORK=$(mktemp -d /tmp/pgvault-walbench-XXXXXX)
chmod 755 "$WORK"
APP_PID=""
as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  [[ -n $APP_PID ]] && kill "$APP_PID" 2>/dev/null && wait "$APP_PID" 2>/dev/null
  [[ -d $WORK/pg ]] && as_pg "$BIN/pg_ctl" -D "$WORK/pg/data" -m immediate stop >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# a cluster only so that pgvault has something registered to archive for
mkdir -p "$WORK/pg"
[[ $(id -u) -eq 0 ]] && chown postgres "$WORK/pg"
PGPORT=$(free_port)
as_pg "$BIN/initdb" -D "$WORK/pg/data" -A trust -U postgres --no-sync >/dev/null
as_pg "$BIN/pg_ctl" -D "$WORK/pg/data" -w -l "$WORK/pg/log" \
  -o "-p $PGPORT -k $WORK/pg -c listen_addresses=127.0.0.1" start >/dev/null

APP_PORT=$(free_port)
API=http://127.0.0.1:$APP_PORT
ADMIN=bench-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
PGVAULT_ADMIN_TOKEN=$ADMIN java -jar "$JAR" --server.port="$APP_PORT" --pgvault.storage.local.root="$WORK/store" \
  --pgvault.security.key-file="$WORK/pgvault.key" --spring.datasource.url="jdbc:h2:file:$WORK/catalog" \
  >"$WORK/pgvault.log" 2>&1 &
APP_PID=$!
for _ in $(seq 1 240); do
  curl -fsS "$API/actuator/health/readiness" 2>/dev/null | grep -q '"UP"' && break; sleep 0.5
done
curl -fsS -X POST "$API/api/v1/clusters" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
  -d "{\"name\":\"bench\",\"host\":\"127.0.0.1\",\"port\":$PGPORT,\"username\":\"postgres\"}" >/dev/null \
  || die "could not register the cluster: $(tail -n 20 "$WORK/pgvault.log")"
# pushes authenticate as archive_command does: the cluster's archive token, read from a header file
curl -fsS -H "Authorization: Bearer $ADMIN" "$API/api/v1/clusters/bench/archive-config" \
  | python3 -c 'import json,sys; sys.stdout.write(json.load(sys.stdin)["headerFileContent"])' >"$WORK/wal.header"
chmod 600 "$WORK/wal.header"

mkdir -p "$WORK/src"
echo "writing $SEGMENTS random 16 MiB segments..." >&2
SYSID=$("$BIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres -Atc \
  "select system_identifier from pg_control_system()") || die "cannot read the cluster's system identifier"
# XLogLongPageHeaderData (little-endian): magic, info (XLP_LONG_HEADER), tli 1 (it may be below the name's),
# pageaddr (the segment's start), rem_len, padding, sysid, seg_size, xlog_blcksz
python3 - "$WORK/src" "$SEGMENTS" "$SYSID" <<'PY'
import os, struct, sys
directory, count, sysid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) & 0xFFFFFFFFFFFFFFFF
size = 16 * 1024 * 1024
for i in range(1, count + 1):
    header = struct.pack('<HHIQI4xQII', 0xD110, 0x0002, 1, i * size, 0, sysid, size, 8192)
    with open(os.path.join(directory, '%08X%08X%08X' % (1, 0, i)), 'wb') as f:
        f.write(header + os.urandom(size - len(header)))
PY
sync

# warm-up, untimed: the JVM compiles its hot paths
for f in "$WORK"/src/*; do
  curl -fsS -o /dev/null -H @"$WORK/wal.header" -T "$f" "$API/api/v1/clusters/bench/wal/$(printf '%08X%08X%08X' 9 0 $((16#${f: -8})))"
done

: >"$WORK/cp.times"
: >"$WORK/put.times"
for round in $(seq 1 "$ROUNDS"); do
  mkdir -p "$WORK/dest$round"
  start=$(now)
  for f in "$WORK"/src/*; do cp "$f" "$WORK/dest$round/" && sync "$WORK/dest$round/$(basename "$f")"; done
  echo "$(now) - $start" | bc >>"$WORK/cp.times"
  rm -rf "$WORK/dest$round"
  start=$(now)
  for f in "$WORK"/src/*; do
    name=$(printf '%08X%08X%08X' $((round + 1)) 0 $((16#${f: -8})))
    curl -fsS -o /dev/null -H @"$WORK/wal.header" -H 'Content-Type: application/octet-stream' -T "$f" "$API/api/v1/clusters/bench/wal/$name"
  done
  echo "$(now) - $start" | bc >>"$WORK/put.times"
  echo "round $round/$ROUNDS done" >&2
done

cp_med=$(median <"$WORK/cp.times")
put_med=$(median <"$WORK/put.times")
mib=$((SEGMENTS * 16))
echo
echo "## WAL push: $SEGMENTS segments of 16 MiB, one after the other, $ROUNDS rounds alternated"
echo
echo "| what | median s | ms per segment | MiB/s |"
echo "| --- | ---: | ---: | ---: |"
awk -v t="$cp_med" -v n="$SEGMENTS" -v m="$mib" 'BEGIN { printf "| `cp` + `sync` per file | %.3f | %.1f | %.0f |\n", t, 1000*t/n, m/t }'
awk -v t="$put_med" -v n="$SEGMENTS" -v m="$mib" 'BEGIN { printf "| pgvault `PUT /wal/{file}` (curl) | %.3f | %.1f | %.0f |\n", t, 1000*t/n, m/t }'
echo
awk -v a="$put_med" -v b="$cp_med" 'BEGIN { printf "pgvault / cp+sync (medians): %.2fx\n", a/b }'
