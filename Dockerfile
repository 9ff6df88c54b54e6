# pgvault: build the jar with the Maven wrapper, run it on Debian with PostgreSQL's tools.
#   docker build -t pgvault .      (or: docker compose up --build)

FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY .mvn/ .mvn/
COPY mvnw pom.xml ./
RUN chmod +x mvnw
COPY src/ src/
RUN ./mvnw -B -DskipTests package \
    && find target -maxdepth 1 -name 'pgvault-*.jar' ! -name '*-plain.jar' -exec cp {} /pgvault.jar \; \
    && test -f /pgvault.jar

FROM debian:bookworm-slim
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

RUN useradd --system --user-group --uid 10001 --home-dir /var/lib/pgvault --shell /usr/sbin/nologin pgvault \
    && mkdir -p /app /var/lib/pgvault/backups \
    && chown -R pgvault:pgvault /var/lib/pgvault

COPY --from=build /pgvault.jar /app/pgvault.jar

ENV PGVAULT_STORAGE_LOCAL_ROOT=/var/lib/pgvault/backups
WORKDIR /var/lib/pgvault
VOLUME /var/lib/pgvault
USER pgvault
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/actuator/health || exit 1
ENTRYPOINT ["java", "-jar", "/app/pgvault.jar"]
