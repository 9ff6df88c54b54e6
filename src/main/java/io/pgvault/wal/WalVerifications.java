package io.pgvault.wal;

import io.pgvault.cluster.ClusterService;
import io.pgvault.job.JobService;
import io.pgvault.job.JobType;
import io.pgvault.job.JobView;
import org.springframework.stereotype.Service;

/** Starts verifications of a cluster's WAL archive. */
@Service
public class WalVerifications {

    private final ClusterService clusters;
    private final JobService jobs;

    WalVerifications(ClusterService clusters, JobService jobs) {
        this.clusters = clusters;
        this.jobs = jobs;
    }

    public JobView start(String cluster) {
        clusters.get(cluster);
        // a VERIFICATION job of the cluster without a backup: its WAL archive (see WalVerification)
        return jobs.submit(JobType.VERIFICATION, cluster, null, "\"WAL\"");
    }
}
