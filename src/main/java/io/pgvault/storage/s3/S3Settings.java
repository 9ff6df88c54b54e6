package io.pgvault.storage.s3;

/**
 * How to reach an S3-compatible bucket: {@code endpoint} (null for AWS itself), {@code region},
 * {@code bucket}, {@code prefix} (keys go below it), {@code pathStyle} (true for MinIO, Ceph and S3Proxy),
 * and optionally {@code accessKey}/{@code secretKey}; without them the AWS SDK's default provider chain
 * decides (environment, profile, instance role). {@code partSize} is the multipart upload's part size.
 */
public record S3Settings(String endpoint, String region, String bucket, String prefix, boolean pathStyle,
        String accessKey, String secretKey, int partSize) {

    public static final int DEFAULT_PART_SIZE = 16 * 1024 * 1024;
    /** S3's own floor for every part but the last. */
    public static final int MIN_PART_SIZE = 5 * 1024 * 1024;

    public S3Settings {
        if (bucket == null || bucket.isBlank()) {
            throw new IllegalArgumentException("an S3 repository needs a bucket");
        }
        if ((accessKey == null) != (secretKey == null)) {
            throw new IllegalArgumentException("an S3 repository takes both access-key and secret-key, or neither "
                    + "(then the AWS SDK's default credentials apply)");
        }
        region = region == null || region.isBlank() ? "us-east-1" : region;
        prefix = prefix == null ? "" : prefix.replaceAll("^/+|/+$", "");
        partSize = partSize == 0 ? DEFAULT_PART_SIZE : partSize;
        if (partSize < MIN_PART_SIZE) {
            throw new IllegalArgumentException("the part size must be at least 5 MiB, S3's minimum");
        }
    }

    /** Never the secret key. */
    @Override
    public String toString() {
        return "S3Settings[" + (endpoint == null ? "AWS" : endpoint) + ", bucket " + bucket
                + (prefix.isEmpty() ? "" : ", prefix " + prefix) + "]";
    }
}
