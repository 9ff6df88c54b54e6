# Shared by the benchmark scripts: tools, a throwaway cluster, a pgvault server and its API.
# Source it after setting BENCH (the script's name, for messages) and WORK (a scratch directory).

die() { echo "${BENCH:-bench}: $*" >&2; exit 1; }

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

if command -v jq >/dev/null; then
  jget() { jq -r "$1 // empty"; }
elif command -v python3 >/dev/null; then
  echo "jq not found: reading JSON with python3, which slows the job polling (apt-get install jq)" >&2
  # a jq subset: .a.b[0].c
  jget() {
    python3 -c '
import json, re, sys
value = json.load(sys.stdin)
for name, index in re.findall(r"\.(\w+)|\[(-?\d+)\]", sys.argv[1]):
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
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

# the jar to run, built unless SKIP_BUILD=1
pgvault_jar() {
  if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    echo "building the jar..." >&2
    ./mvnw -q -B -DskipTests package >&2
  fi
  JAR=$(ls target/pgvault-*.jar 2>/dev/null | grep -v -- '-plain\.jar$' | head -n 1 || true)
  [[ -n $JAR ]] || die "no target/pgvault-*.jar (build it, or unset SKIP_BUILD)"
}

# init_cluster DATA_DIR: a fresh cluster owned by the server's OS user, trust auth (replication too)
init_cluster() {
  mkdir -p "$(dirname "$1")"
  [[ $(id -u) -eq 0 ]] && chown postgres:postgres "$(dirname "$1")"
  as_pg "$BIN/initdb" -D "$1" -A trust -U postgres --no-sync -E UTF8 --locale=C >"$WORK/initdb.log" 2>&1 \
    || { cat "$WORK/initdb.log" >&2; die "initdb failed"; }
  cp "$1/postgresql.conf" "$WORK/postgresql.conf.initdb"
}

# start_cluster DATA_DIR [extra postgresql.conf lines on stdin]: starts it on a free port, sets PGPORT
start_cluster() {
  local data=$1 extra started=""
  extra=$(cat)
  for _ in 1 2 3; do
    PGPORT=$(free_port)
    { cat "$WORK/postgresql.conf.initdb"
      echo "listen_addresses = '127.0.0.1'"
      echo "port = $PGPORT"
      echo "unix_socket_directories = '$(dirname "$data")'"
      echo "$extra"
    } | as_pg tee "$data/postgresql.conf" >/dev/null
    if as_pg "$BIN/pg_ctl" -D "$data" -w -t 60 -l "$(dirname "$data")/server.log" start >/dev/null 2>&1; then
      started=1; break
    fi
    grep -q "could not bind" "$(dirname "$data")/server.log" 2>/dev/null || break
  done
  [[ -n $started ]] || { cat "$(dirname "$data")/server.log" >&2; die "the cluster did not start"; }
}

API=""
# the server started here accepts PGVAULT_TOKEN as its admin token (PGVAULT_ADMIN_TOKEN); made up when unset
PGVAULT_TOKEN=${PGVAULT_TOKEN:-bench-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')}
AUTH=(-H "Authorization: Bearer $PGVAULT_TOKEN")

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

# start_pgvault: runs the jar on a free port with its catalog and storage under WORK; sets API, APP_PID
start_pgvault() {
  local port
  port=$(free_port)
  API=http://127.0.0.1:$port
  # PGVAULT_ARGS: extra --key=value settings, e.g. --pgvault.drills.count-rows=false
  # shellcheck disable=SC2086
  # PGVAULT_JAVA_OPTS: options for pgvault's JVM, e.g. -Xmx512m
  # shellcheck disable=SC2086
  PGVAULT_ADMIN_TOKEN="$PGVAULT_TOKEN" java ${PGVAULT_JAVA_OPTS:-} -jar "$JAR" --server.port="$port" \
    --pgvault.storage.local.root="$WORK/store" --pgvault.security.key-file="$WORK/pgvault.key" \
    --spring.datasource.url="jdbc:h2:file:$WORK/catalog" ${PGVAULT_ARGS:-} >"$WORK/pgvault.log" 2>&1 &
  APP_PID=$!
  echo "waiting for pgvault on port $port..." >&2
  for _ in $(seq 1 240); do
    curl -fsS "$API/actuator/health/readiness" 2>/dev/null | grep -q '"UP"' && return
    kill -0 "$APP_PID" 2>/dev/null || { tail -n 50 "$WORK/pgvault.log" >&2; die "pgvault exited"; }
    sleep 0.5
  done
  tail -n 50 "$WORK/pgvault.log" >&2
  die "pgvault is not UP"
}

stop_pgvault() {
  if [[ -n ${APP_PID:-} ]] && kill -0 "$APP_PID" 2>/dev/null; then
    kill "$APP_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$APP_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$APP_PID" 2>/dev/null || true
  fi
}

# await_job ID: one request that answers when the job ends (no polling load next to what is measured);
# prints the job, dies unless it SUCCEEDED
await_job() {
  local job status
  while :; do
    job=$(api GET "/api/v1/jobs/$1?waitSeconds=600")
    [[ $job =~ \"status\":\"([A-Z]+)\" ]] || die "no status in: $job"
    status=${BASH_REMATCH[1]}
    case $status in
      SUCCEEDED) echo "$job"; return ;;
      FAILED | CANCELLED) die "job $1 $status: $job $(api GET "/api/v1/jobs/$1/log" || true)" ;;
    esac
  done
}

# setup_pgbackrest: a pgBackRest configuration and stanza "bench" for the cluster in PGDATA_DIR on PGPORT
# (repository, logs and lock under WORK/pgbackrest); defines pgbackrest() to run it as the server's OS user.
# process-max (pgBackRest's parallel compression and copy) is one per core unless PGBACKREST_PROCESS_MAX says.
# The cluster must archive with: archive_command = 'pgbackrest --config=$PBCONF --stanza=bench archive-push %p'
PBCONF=${WORK:-/tmp}/pgbackrest/pgbackrest.conf
setup_pgbackrest() {
  mkdir -p "$WORK/pgbackrest/repo" "$WORK/pgbackrest/log" "$WORK/pgbackrest/lock"
  cat >"$PBCONF" <<EOF
[global]
repo1-path=$WORK/pgbackrest/repo
repo1-retention-full=${PGBACKREST_RETENTION:-10}
process-max=${PGBACKREST_PROCESS_MAX:-$(nproc)}
start-fast=y
log-level-console=warn
log-level-file=off
lock-path=$WORK/pgbackrest/lock

[bench]
pg1-path=$PGDATA_DIR
pg1-port=$PGPORT
pg1-socket-path=$(dirname "$PGDATA_DIR")
EOF
  chmod 644 "$PBCONF"
  [[ $(id -u) -eq 0 ]] && chown -R postgres:postgres "$WORK/pgbackrest"
  pgbackrest stanza-create >"$WORK/pgbackrest/stanza.log" 2>&1 \
    || { cat "$WORK/pgbackrest/stanza.log" >&2; die "stanza-create failed"; }
}
pgbackrest() { as_pg pgbackrest --config="$PBCONF" --stanza=bench "$@"; }

# pgvault_backup BODY [CLUSTER]: starts a backup of cluster CLUSTER ("bench"), waits for SUCCEEDED and for the automatic
# verification that follows (not timed, but it must not overlap the next measurement);
# prints "seconds backupId"
pgvault_backup() {
  local start end job id backup status
  start=$(now)
  job=$(api POST "/api/v1/clusters/${2:-bench}/backups" "$1")
  # ids read with bash, not jq: only pgvault's own time is on the clock
  [[ $job =~ \"id\":\"([^\"]+)\" ]] || die "no job id in: $job"
  id=${BASH_REMATCH[1]}
  job=$(await_job "$id")
  end=$(now)
  backup=$(jget .backupId <<<"$job")
  while [[ $(api GET "/api/v1/backups/$backup" | jget .verification.status) == UNVERIFIED ]]; do sleep 0.2; done
  echo "$(seconds "$start" "$end") $backup"
}

# start_s3proxy: S3Proxy (target/s3proxy, copied there by the build) with its filesystem backend under
# WORK/s3, on plain HTTP (S3_PORT) and, with a self-signed certificate, HTTPS (S3_TLS_PORT) for tools that
# insist on TLS (pgBackRest); bucket "bench". Sets S3_KEY, S3_SECRET, S3_PID.
start_s3proxy() {
  local jar=target/s3proxy/s3proxy-jar-with-dependencies.jar
  [[ -f $jar ]] || die "$jar is missing (./mvnw -DskipTests package copies it)"
  mkdir -p "$WORK/s3/data/bench"
  S3_PORT=$(free_port)
  S3_TLS_PORT=$(free_port)
  S3_KEY=bench
  S3_SECRET=bench-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')
  keytool -genkeypair -alias s3proxy -keyalg RSA -keysize 2048 -validity 2 -dname CN=127.0.0.1 \
    -ext SAN=ip:127.0.0.1 -keystore "$WORK/s3/keystore.jks" -storepass bench-store -keypass bench-store \
    >"$WORK/s3/keytool.log" 2>&1 || { cat "$WORK/s3/keytool.log" >&2; die "keytool failed"; }
  cat >"$WORK/s3/s3proxy.conf" <<CONF
s3proxy.endpoint=http://127.0.0.1:$S3_PORT
s3proxy.secure-endpoint=https://127.0.0.1:$S3_TLS_PORT
s3proxy.keystore-path=$WORK/s3/keystore.jks
s3proxy.keystore-password=bench-store
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$S3_KEY
s3proxy.credential=$S3_SECRET
jclouds.provider=filesystem
jclouds.filesystem.basedir=$WORK/s3/data
CONF
  java -Xmx512m -jar "$jar" --properties "$WORK/s3/s3proxy.conf" >"$WORK/s3/s3proxy.log" 2>&1 &
  S3_PID=$!
  for _ in $(seq 1 120); do
    curl -s -o /dev/null "http://127.0.0.1:$S3_PORT/" && return
    kill -0 "$S3_PID" 2>/dev/null || { tail -n 30 "$WORK/s3/s3proxy.log" >&2; die "S3Proxy exited"; }
    sleep 0.5
  done
  die "S3Proxy did not answer"
}

# need_packages PKG...: installs the Debian packages that are missing (a peer such as pgbackrest; as root only)
need_packages() {
  local pkg
  for pkg in "$@"; do
    if ! type -P "$pkg" >/dev/null; then
      [[ $(id -u) -eq 0 ]] || die "$pkg is missing (apt-get install $pkg)"
      { apt-get install -y -q "$pkg" || { apt-get update -q && apt-get install -y -q "$pkg"; }; } >"$WORK/apt.log" 2>&1 \
        || { tail -n 20 "$WORK/apt.log" >&2; die "could not install $pkg"; }
    fi
  done
}

# make_copies: WORK/copies, where restored servers go (the server's OS user's); stop_copies stops and removes them
make_copies() {
  mkdir -p "$WORK/copies"
  chmod 755 "$WORK/copies"
  if [[ $(id -u) -eq 0 ]]; then chown postgres:postgres "$WORK/copies"; fi
}
stop_copies() {
  for dir in "$WORK"/copies/*/; do
    [[ -f $dir/postmaster.pid ]] && as_pg "$BIN/pg_ctl" -D "$dir" -m immediate -w stop >/dev/null 2>&1 || true
  done
  as_pg rm -rf "$WORK"/copies/* 2>/dev/null || true
}

# await_promoted PORT DIR: waits until the server on PORT (data directory DIR) is out of recovery
await_promoted() {
  for _ in $(seq 1 2400); do
    [[ $("$BIN/psql" -h 127.0.0.1 -p "$1" -U postgres -qAt -d postgres -c "SELECT pg_is_in_recovery()" 2>/dev/null) == f ]] && return
    sleep 0.05
  done
  tail -n 20 "$2/log" >&2 || true
  die "the server in $2 on port $1 was not promoted"
}
# answers PORT: pgbench_branches' rows on that server (the scale)
answers() { "$BIN/psql" -h 127.0.0.1 -p "$1" -U postgres -qAt -d postgres -c "SELECT count(*) FROM pgbench_branches"; }

# clean_up_on_exit: on any exit, stop pgvault and the cluster in PGDATA_DIR, and remove WORK
clean_up_on_exit() {
  APP_PID=""
  trap '_clean_up $?' EXIT
  trap 'exit 130' INT TERM
}
_clean_up() {
  stop_pgvault
  [[ -n ${S3_PID:-} ]] && kill "$S3_PID" 2>/dev/null || true
  if [[ -n ${PGDATA_DIR:-} && -f $PGDATA_DIR/postmaster.pid ]]; then
    as_pg "$BIN/pg_ctl" -D "$PGDATA_DIR" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
  exit "$1"
}
