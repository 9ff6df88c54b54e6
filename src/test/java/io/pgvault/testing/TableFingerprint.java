package io.pgvault.testing;

/** Row count and md5 of the sorted row texts of one table (or of the large objects' contents). */
public record TableFingerprint(long rows, String md5) {
}
