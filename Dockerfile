# pgvault: build the jar with the Maven wrapper, run it on Debian with PostgreSQL's tools.
#   docker build -t pgvault .      (or: docker compose up --build, see docker-compose.yml)
# The build stage is run by the test suite as Docker would run it (DockerfileBuildTests: the files its COPY lines
# name in a clean directory, then its RUN lines there), so keep its paths relative to its WORKDIR.

FROM eclipse-temurin:17.0.15_6-jdk AS build
WORKDIR /src
COPY .mvn/ .mvn/
COPY mvnw pom.xml ./
COPY src/main/ src/main/
# the application only: -Dmaven.test.skip=true also skips compiling the tests, generating their clients from
# api/openapi.json and copying their PostgreSQL servers and S3Proxy
RUN chmod +x mvnw \
    && ./mvnw -B -Dmaven.test.skip=true package \
    && cp target/pgvault-*.jar pgvault.jar \
    && test -f pgvault.jar

FROM debian:12.11-slim
# pg_dump, pg_restore, pg_basebackup and psql (postgresql-client), and initdb/pg_ctl/postgres
# (postgresql) for restore drills and recoveries. Bookworm ships PostgreSQL 15: the tools must be
# at least the protected servers' major version, so add the PGDG apt repository for newer servers.
# No default cluster: pgvault starts its own servers when it needs one.
RUN mkdir -p /etc/postgresql-common /usr/share/man/man1 \
    && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf \
    && apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        openjdk-17-jre-headless postgresql postgresql-client ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*

# /var/lib/pgvault is the instance's own workspace (catalog files when H2, staging, scratch, password files);
# keys/ is where docker-compose.yml mounts the keys every instance shares
RUN useradd --system --user-group --uid 10001 --home-dir /var/lib/pgvault --shell /usr/sbin/nologin pgvault \
    && mkdir -p /app /var/lib/pgvault/backups /var/lib/pgvault/keys \
    && chown -R pgvault:pgvault /var/lib/pgvault \
    && chmod 0700 /var/lib/pgvault/keys

COPY --from=build /src/pgvault.jar /app/pgvault.jar

ENV PGVAULT_STORAGE_LOCAL_ROOT=/var/lib/pgvault/backups
WORKDIR /var/lib/pgvault
VOLUME /var/lib/pgvault
USER pgvault
EXPOSE 8080
# liveness: is the process alive and answering? Never /actuator/health/backups (a late backup is not a reason to
# restart or unroute pgvault) nor /actuator/health (a repository or the catalog being away is not either)
HEALTHCHECK --interval=15s --timeout=5s --start-period=90s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/actuator/health/liveness || exit 1
ENTRYPOINT ["java", "-jar", "/app/pgvault.jar"]
