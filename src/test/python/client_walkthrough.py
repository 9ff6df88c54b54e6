"""Drives a live pgvault through the Python client generated from api/openapi.json (target/python-client).

Run by PythonClientTests, which starts the server and a PostgreSQL cluster and passes them in the environment:
PGVAULT_URL, PGVAULT_TOKEN, PG_HOST, PG_PORT, PG_USER, PG_DATABASE, CLUSTER. Every step asserts what the API
documents; the last line printed is a JSON summary the Java test reads. Exits non-zero at the first surprise.
"""
import json
import os
import time
import sys

import pgvault_client
from pgvault_client.api.backups_api import BackupsApi
from pgvault_client.api.clusters_api import ClustersApi
from pgvault_client.api.jobs_api import JobsApi
from pgvault_client.api.wal_archive_api import WalArchiveApi
from pgvault_client.exceptions import ApiException, NotFoundException
from pgvault_client.models.backup_request import BackupRequest
from pgvault_client.models.cluster_patch import ClusterPatch
from pgvault_client.models.cluster_request import ClusterRequest


def problem_of(error):
    """The problem+json body of an error answer, checked for its documented shape."""
    content_type = error.headers.get("Content-Type", "")
    assert content_type.startswith("application/problem+json"), content_type
    body = json.loads(error.body)
    for field in ("type", "title", "status", "detail", "instance"):
        assert field in body, (field, body)
    assert body["status"] == error.status, body
    return body


env = os.environ
cluster = env["CLUSTER"]
config = pgvault_client.Configuration(host=env["PGVAULT_URL"], access_token=env["PGVAULT_TOKEN"])
with pgvault_client.ApiClient(config) as client:
    clusters, backups, jobs, wal = ClustersApi(client), BackupsApi(client), JobsApi(client), WalArchiveApi(client)

    # list, then register the cluster (with an RPO, cleared later)
    before = clusters.list_clusters()
    assert cluster not in [c.name for c in before], before
    registered = clusters.register_cluster(ClusterRequest(
        name=cluster, host=env["PG_HOST"], port=int(env["PG_PORT"]), username=env["PG_USER"],
        rpo="PT24H"))
    assert registered.name == cluster and registered.rpo == "PT24H", registered
    assert cluster in [c.name for c in clusters.list_clusters()]

    # a backup, waited for with waitSeconds, and its log (text/plain: the client accepts it with problem+json)
    started = backups.start_backup(cluster, BackupRequest(kind="DUMP", database=env["PG_DATABASE"], label="python"))
    assert started.type == "BACKUP" and started.status in ("QUEUED", "RUNNING"), started
    job = started
    deadline = time.monotonic() + 240
    waits = []
    while job.status not in ("SUCCEEDED", "FAILED", "CANCELLED") and time.monotonic() < deadline:
        asked = time.monotonic()
        job = jobs.get_job(started.id, wait_seconds=30)
        waits.append(round(time.monotonic() - asked, 2))
    print("waits for the backup job (s):", waits, flush=True)
    assert job.status == "SUCCEEDED", (job, jobs.get_job_log(started.id))
    log = jobs.get_job_log(started.id)
    assert isinstance(log, str), type(log)
    backup = backups.get_backup(job.backup_id)
    assert backup.status == "SUCCEEDED" and backup.database == env["PG_DATABASE"], backup
    assert backup.files and all(f.size_bytes > 0 and len(f.sha256) == 64 for f in backup.files), backup.files
    content = backups.download_backup(job.backup_id)
    assert len(content) == backup.files[0].size_bytes, (len(content), backup.files)

    # a merge patch: one field set, another cleared with null, the rest (host, port...) left out
    patch = ClusterPatch(time_zone="Europe/Berlin", rpo=None)
    assert patch.to_dict() == {"timeZone": "Europe/Berlin", "rpo": None}, patch.to_dict()
    patched = clusters.patch_cluster(cluster, patch)
    assert patched.time_zone == "Europe/Berlin" and patched.rpo is None, patched
    assert patched.host == env["PG_HOST"] and patched.port == int(env["PG_PORT"]), patched

    # errors are problems: a cluster that does not exist, and a WAL file that is not archived (octet-stream)
    try:
        clusters.get_cluster("no-such-cluster")
        raise AssertionError("no 404 for a cluster that does not exist")
    except NotFoundException as e:
        missing = problem_of(e)
        assert "no-such-cluster" in missing["detail"], missing
    try:
        wal.fetch_wal_file(cluster, "000000010000000000000001")
        raise AssertionError("no 404 for a WAL file that is not archived")
    except ApiException as e:
        assert e.status == 404, (e.status, e.body)
        problem_of(e)

print(json.dumps({"cluster": cluster, "job": str(started.id), "backup": str(job.backup_id),
                  "status": job.status, "timeZone": patched.time_zone, "rpo": patched.rpo,
                  "notFound": missing["status"]}))
