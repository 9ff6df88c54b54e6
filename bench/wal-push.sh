#!/usr/bin/env bash
# WAL push benchmark with real WAL. A throwaway cluster runs pgbench's load and then bulk updates and inserts,
# its archive_command copying each finished segment into a directory; those same segments are then pushed one
# after the other (as archive_command does), each durable before the next starts, with:
#   - `cp` + `sync` into a directory (the floor: no compression, no checks);
#   - `pgbackrest archive-push` into a local repository, zstd (compress-type=zst, its default level 3);
#   - pgvault's `PUT /api/v1/clusters/{name}/wal/{file}` with curl, as its archive_command does.
# Rounds alternate between the three; each round pushes into fresh targets. Medians of the rounds are
# reported, with the bytes stored per segment and the ratios to pgBackRest. The machine may be shared with
# other work: compare the ratios, not the bare times.
#
#   bench/wal-push.sh [segments=24] [rounds=3]
#
# Environment: SKIP_BUILD=1 reuses target/pgvault-*.jar; PGVAULT_ARGS adds settings to pgvault, e.g.
# --pgvault.wal.compression-level=1 or --pgvault.wal.compression=none.
set -euo pipefail

SEGMENTS=${1:-24}
ROUNDS=${2:-3}
BENCH=wal-push
cd "$(dirname "$0")/.."
WORK=$(mktemp -d /tmp/pgvault-walbench-XXXXXX)
chmod 755 "$WORK"
# shellcheck source=bench/lib.sh
source bench/lib.sh
clean_up_on_exit
[[ $SEGMENTS =~ ^[0-9]+$ && $SEGMENTS -ge 1 ]] || die "segments must be a positive integer"
[[ $ROUNDS =~ ^[0-9]+$ && $ROUNDS -ge 1 ]] || die "rounds must be a positive integer"
command -v curl >/dev/null || die "curl is needed"
if ! command -v pgbackrest >/dev/null; then
  [[ $(id -u) -eq 0 ]] || die "pgbackrest is needed (apt-get install pgbackrest)"
  echo "installing pgbackrest..." >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbackrest >/dev/null || die "apt-get install pgbackrest failed"
fi
BIN=$(find_bindir)
pgvault_jar

# 1. real WAL: pgbench's initial load, then bulk updates and inserts, until enough segments are archived
PGDATA_DIR=$WORK/pg/data
SRC=$WORK/segments
init_cluster "$PGDATA_DIR"
mkdir -p "$SRC"
[[ $(id -u) -eq 0 ]] && chown postgres:postgres "$SRC"
start_cluster "$PGDATA_DIR" <<CONF
wal_level = replica
archive_mode = on
archive_command = 'test ! -f $SRC/%f && cp %p $SRC/%f'
max_wal_size = 2GB
checkpoint_timeout = 30s
# nothing of the cluster's own competes with the pushes for the CPU once the load stops
autovacuum = off
CONF
PG=(-h 127.0.0.1 -p "$PGPORT" -U postgres)
echo "generating WAL: pgbench -i, then bulk updates and inserts until $SEGMENTS segments are archived..." >&2
as_pg "$BIN/pgbench" "${PG[@]}" -i -q -s 10 postgres >"$WORK/pgbench-init.log" 2>&1 \
  || { cat "$WORK/pgbench-init.log" >&2; die "pgbench -i failed"; }
cat >"$WORK/bulk.sql" <<'SQL'
\set a random(1, 100000 * :scale - 1000)
UPDATE pgbench_accounts SET abalance = abalance + :a % 97 WHERE aid BETWEEN :a AND :a + 499;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime, filler)
  SELECT 1 + i % 100, 1 + i % 10, :a + i, i - 250, now(), left(md5(i::text), 22) FROM generate_series(1, 500) i;
SQL
chmod 644 "$WORK/bulk.sql"
as_pg "$BIN/pgbench" "${PG[@]}" -n -c 4 -j 2 -T 900 -D scale=10 -f "$WORK/bulk.sql" postgres >"$WORK/pgbench.log" 2>&1 &
LOAD_PID=$!
segments() { find "$SRC" -maxdepth 1 -regextype posix-extended -regex '.*/[0-9A-F]{24}' -printf '%f\n' | sort; }
sleep 2
BEFORE=$(segments | wc -l)
while [[ $(segments | wc -l) -le $((BEFORE + SEGMENTS)) ]]; do
  kill -0 "$LOAD_PID" 2>/dev/null || { cat "$WORK/pgbench.log" >&2; die "pgbench ended early"; }
  sleep 1
done
kill "$LOAD_PID" 2>/dev/null || true
wait "$LOAD_PID" 2>/dev/null || true
# the load's dirty buffers are written now, not during the rounds
as_pg "$BIN/psql" "${PG[@]}" -d postgres -qAtc CHECKPOINT >/dev/null
# the last SEGMENTS segments, all from the bulk load, all full (nothing switched them early)
mapfile -t FILES < <(segments | tail -n "$SEGMENTS")
echo "pushing ${#FILES[@]} segments: ${FILES[0]} .. ${FILES[-1]}" >&2

# 2. the same cluster is registered with pgvault and is pgBackRest's stanza: both check the system identifier
start_pgvault
setup_pgbackrest
pgbackrest_round() {  # a fresh repository per round: archive-push keeps an existing segment as it is
  mkdir -p "$WORK/pgbackrest/repo$1"
  [[ $(id -u) -eq 0 ]] && chown postgres:postgres "$WORK/pgbackrest/repo$1"
  sed -i "s|^repo1-path=.*|repo1-path=$WORK/pgbackrest/repo$1|" "$PBCONF"
  pgbackrest stanza-create >"$WORK/pgbackrest/stanza.log" 2>&1 \
    || { cat "$WORK/pgbackrest/stanza.log" >&2; die "stanza-create failed"; }
}
register() {  # one registration per round (and the warm-up): a fresh archive each time
  api POST /api/v1/clusters "{\"name\":\"$1\",\"host\":\"127.0.0.1\",\"port\":$PGPORT,\"username\":\"postgres\"}" >/dev/null
  api GET "/api/v1/clusters/$1/archive-config" | jget .headerFileContent >"$WORK/$1.header"
  chmod 600 "$WORK/$1.header"
}
pgvault_push() {  # pgvault_push CLUSTER: every segment, as archive_command does
  local f
  for f in "${FILES[@]}"; do
    curl -fsS -o /dev/null -H @"$WORK/$1.header" -H 'Content-Type: application/octet-stream' \
      -T "$SRC/$f" "$API/api/v1/clusters/$1/wal/$f" || die "pgvault push of $f failed"
  done
}
bytes_under() { find "$1" -type f ! -name '*.info*' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'; }

# warm-up, untimed: the JVM compiles its hot paths, the segments are in the page cache
register warm
pgvault_push warm
cat "${FILES[@]/#/$SRC/}" >/dev/null

: >"$WORK/cp.times"; : >"$WORK/pgbackrest.times"; : >"$WORK/pgvault.times"
for round in $(seq 1 "$ROUNDS"); do
  mkdir -p "$WORK/dest$round"
  start=$(now)
  for f in "${FILES[@]}"; do cp "$SRC/$f" "$WORK/dest$round/" && sync "$WORK/dest$round/$f"; done
  seconds "$start" "$(now)" >>"$WORK/cp.times"
  CP_BYTES=$(bytes_under "$WORK/dest$round")
  rm -rf "$WORK/dest$round"

  pgbackrest_round "$round"
  start=$(now)
  for f in "${FILES[@]}"; do
    pgbackrest --compress-type=zst archive-push "$SRC/$f" || die "pgbackrest archive-push of $f failed"
  done
  seconds "$start" "$(now)" >>"$WORK/pgbackrest.times"
  PB_BYTES=$(bytes_under "$WORK/pgbackrest/repo$round/archive")

  register "bench$round"
  start=$(now)
  pgvault_push "bench$round"
  seconds "$start" "$(now)" >>"$WORK/pgvault.times"
  PV_BYTES=$(bytes_under "$WORK/store/bench$round/wal")
  echo "round $round/$ROUNDS done" >&2
done

n=${#FILES[@]}
cp_t=$(stats <"$WORK/cp.times" | awk '{ print $2 }')
pb_t=$(stats <"$WORK/pgbackrest.times" | awk '{ print $2 }')
pv_t=$(stats <"$WORK/pgvault.times" | awk '{ print $2 }')
row() {  # what seconds bytes
  awk -v w="$1" -v t="$2" -v b="$3" -v n="$n" -v pt="$pb_t" -v pb="$PB_BYTES" 'BEGIN {
    printf "| %s | %.1f | %.2f | %.2f | %.2f |\n", w, 1000 * t / n, b / n / 1048576, t / pt, b / pb }'
}
echo
echo "## WAL push: $n real segments of 16 MiB (pgbench bulk updates and inserts), one after the other, $ROUNDS rounds"
echo
echo "pgvault settings: ${PGVAULT_ARGS:-defaults (zstd, level 3)}. Times are medians of the rounds."
echo
echo "| what | ms per segment | stored MiB per segment | time / pgBackRest | stored / pgBackRest |"
echo "| --- | ---: | ---: | ---: | ---: |"
row '`cp` + `sync` per file' "$cp_t" "$CP_BYTES"
row '`pgbackrest archive-push` (zst, local repo)' "$pb_t" "$PB_BYTES"
row 'pgvault `PUT /wal/{file}` (curl)' "$pv_t" "$PV_BYTES"
echo
echo "rounds (s): cp $(paste -sd' ' "$WORK/cp.times"); pgbackrest $(paste -sd' ' "$WORK/pgbackrest.times"); pgvault $(paste -sd' ' "$WORK/pgvault.times")"
