#!/usr/bin/env bash
# Backup list benchmark: what a page of GET /api/v1/backups costs with 1,000 and with 100,000 entries in the
# catalog (H2, pgvault's default). A throwaway cluster is registered as "bench"; the entries are written straight
# into the catalog with H2's RunScript (from the jar's own H2) while pgvault is stopped, then pgvault is started
# again and each page is asked for 50 times to warm up and SAMPLES times measured with curl, one request at a time.
# The lower quartile of the samples is reported: what a page costs, with less of what the rest of the machine
# does meanwhile (on 2 busy cores the median of one query moved by 2x between runs). The suite does not time
# this (LoadTests checks the plans instead: a few statements, a page of rows read through an index).
#
#   bench/backup-list.sh [samples=41]
#
# Environment: SKIP_BUILD=1 reuses target/pgvault-*.jar.
set -euo pipefail

SAMPLES=${1:-41}
BENCH=backup-list
cd "$(dirname "$0")/.."
WORK=$(mktemp -d /tmp/pgvault-listbench-XXXXXX)
chmod 755 "$WORK"
# shellcheck source=bench/lib.sh
source bench/lib.sh
clean_up_on_exit
[[ $SAMPLES =~ ^[0-9]+$ && $SAMPLES -ge 4 ]] || die "samples must be an integer of 4 or more"
command -v curl >/dev/null || die "curl is needed"
BIN=$(find_bindir)
pgvault_jar
(cd "$WORK" && unzip -q -j -o "$OLDPWD/$JAR" 'BOOT-INF/lib/h2-*.jar') || die "no H2 jar in $JAR"
H2_JAR=$(ls "$WORK"/h2-*.jar | head -n 1)

PGDATA_DIR=$WORK/pg/data
init_cluster "$PGDATA_DIR"
start_cluster "$PGDATA_DIR" </dev/null
start_pgvault
api POST /api/v1/clusters "{\"name\":\"bench\",\"host\":\"127.0.0.1\",\"port\":$PGPORT,\"username\":\"postgres\"}" >/dev/null

QUERIES=("size=50" "cluster=bench&size=50" "cluster=bench&status=SUCCEEDED&size=50" "size=50&page=10")

# add_entries FROM TO: catalog entries FROM..TO of cluster "bench", a minute apart, every 20th FAILED
add_entries() {
  cat >"$WORK/add.sql" <<SQL
insert into backup (id, cluster, kind, format, database_name, options, status, queued_at, started_at, finished_at,
    location, size_bytes, sha256, verification_status, pinned)
  select random_uuid(), 'bench', 'DUMP', 'CUSTOM', 'db' || mod(x, 10),
    '{"kind":"DUMP","database":"db' || mod(x, 10) || '","format":"CUSTOM","schemaOnly":false,"dataOnly":false,'
      || '"globalsOnly":false,"noOwner":false,"noPrivileges":false}',
    case when mod(x, 20) = 0 then 'FAILED' else 'SUCCEEDED' end,
    timestamp with time zone '2020-01-01 00:00:00+00' + x * interval '1' minute,
    timestamp with time zone '2020-01-01 00:00:00+00' + x * interval '1' minute,
    timestamp with time zone '2020-01-01 00:00:00+00' + x * interval '1' minute,
    'bench/dump/' || x, 1000 + x, lpad(to_char(x), 64, '0'), 'PASSED', false
  from system_range($1, $2);
SQL
  java -cp "$H2_JAR" org.h2.tools.RunScript -url "jdbc:h2:file:$WORK/catalog" -user sa -password "" \
    -script "$WORK/add.sql" || die "inserting catalog entries failed"
}

# measure LABEL: the lower-quartile ms of each query, into WORK/LABEL.ms (one line per query)
measure() {
  : >"$WORK/$1.ms"
  for q in "${QUERIES[@]}"; do
    for _ in $(seq 1 50); do curl -fsS -o /dev/null "${AUTH[@]}" "$API/api/v1/backups?$q"; done
    for _ in $(seq 1 "$SAMPLES"); do
      curl -fsS -o /dev/null -w '%{time_total}\n' "${AUTH[@]}" "$API/api/v1/backups?$q"
    done | sort -g | awk -v n="$SAMPLES" 'NR == int(n / 4) + 1 { printf "%.2f\n", $1 * 1000 }' >>"$WORK/$1.ms"
  done
}

for size in 1000 100000; do
  stop_pgvault
  have=$(( size == 1000 ? 0 : 1000 ))
  echo "catalog entries $((have + 1))..$size" >&2
  add_entries $((have + 1)) "$size"
  start_pgvault
  total=$(api GET "/api/v1/backups?cluster=bench&size=1" | jget .totalElements)
  [[ $total == "$size" ]] || die "the catalog has $total entries of cluster bench, not $size"
  measure "$size"
done

# --- report ------------------------------------------------------------------------------------
echo
echo "## A page of 50 from the backup list (H2 catalog), lower quartile of $SAMPLES requests"
echo
echo "| page | ms at 1,000 entries | ms at 100,000 | ratio |"
echo "| --- | ---: | ---: | ---: |"
for i in "${!QUERIES[@]}"; do
  small=$(sed -n "$((i + 1))p" "$WORK/1000.ms")
  large=$(sed -n "$((i + 1))p" "$WORK/100000.ms")
  echo "| \`/api/v1/backups?${QUERIES[$i]}\` | $small | $large | $(ratio "$large" "$small") |"
done
