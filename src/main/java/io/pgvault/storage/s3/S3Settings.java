package io.pgvault.storage.s3;

/**
 * How to reach an S3-compatible bucket: {@code endpoint} (null for AWS itself), {@code region},
 * {@code bucket}, {@code prefix} (keys go below it), {@code pathStyle} (true for MinIO, Ceph and S3Proxy),
 * and optionally {@code accessKey}/{@code secretKey}; without them the AWS SDK's default provider chain
 * decides (environment, profile, instance role). {@code partSize} is the multipart upload's part size.
 *
 * <p>{@code connectTimeout} bounds opening a connection, {@code readTimeout} a connection that stops sending or
 * taking bytes (a hanging bucket is a failed attempt after it), and {@code attempts} how often the SDK sends one
 * request (the first included) when the answer is a network error, a 5xx or a throttling answer. A request that
 * failed on every attempt fails the operation that made it: there is no second layer of retries above the SDK.
 */
public record S3Settings(String endpoint, String region, String bucket, String prefix, boolean pathStyle,
        String accessKey, String secretKey, int partSize, java.time.Duration connectTimeout,
        java.time.Duration readTimeout, int attempts) {

    public static final java.time.Duration DEFAULT_CONNECT_TIMEOUT = java.time.Duration.ofSeconds(10);
    public static final java.time.Duration DEFAULT_READ_TIMEOUT = java.time.Duration.ofSeconds(60);
    public static final int DEFAULT_ATTEMPTS = 4;

    /** With the default timeouts and attempts. */
    public S3Settings(String endpoint, String region, String bucket, String prefix, boolean pathStyle,
            String accessKey, String secretKey, int partSize) {
        this(endpoint, region, bucket, prefix, pathStyle, accessKey, secretKey, partSize, null, null, 0);
    }

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
        connectTimeout = connectTimeout == null ? DEFAULT_CONNECT_TIMEOUT : connectTimeout;
        readTimeout = readTimeout == null ? DEFAULT_READ_TIMEOUT : readTimeout;
        attempts = attempts == 0 ? DEFAULT_ATTEMPTS : attempts;
        if (connectTimeout.isNegative() || connectTimeout.isZero() || readTimeout.isNegative() || readTimeout.isZero()) {
            throw new IllegalArgumentException("connect-timeout and read-timeout must be greater than zero");
        }
        if (attempts < 1 || attempts > 20) {
            throw new IllegalArgumentException("attempts must be 1 to 20 (the first attempt included)");
        }
    }

    /** Never the secret key. */
    @Override
    public String toString() {
        return "S3Settings[" + (endpoint == null ? "AWS" : endpoint) + ", bucket " + bucket
                + (prefix.isEmpty() ? "" : ", prefix " + prefix) + "]";
    }
}
