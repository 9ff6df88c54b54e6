package io.pgvault.storage.s3;

import io.pgvault.job.DaemonThreads;
import io.pgvault.job.FailureCause;
import io.pgvault.storage.BackgroundRetry;
import io.pgvault.storage.ObjectKeys;
import io.pgvault.storage.ObjectStore;
import io.pgvault.storage.Sha256;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.NoSuchUploadException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * Objects in an S3-compatible bucket, through the AWS SDK v2. A put streams: it reads one part at a time
 * (16 MiB by default, doubling every 1000 parts to stay below S3's 10,000) and sends a single PUT when the
 * content fits one part, else a multipart upload that only a complete read completes; any failure aborts
 * the upload, and {@link #sweepIncomplete} aborts those whose abort could not reach the bucket. Checksums
 * beyond S3's own are sent only where the API requires them, as third-party servers (MinIO, Ceph, S3Proxy)
 * do not all know the newer ones. Errors name the key and the bucket, never a credential.
 */
public final class S3ObjectStore implements ObjectStore, AutoCloseable {

    private static final int MAX_PART_SIZE = 512 * 1024 * 1024;

    private final S3Settings settings;
    private final S3Client client;
    /** Whether the server honours {@code If-None-Match: *}; null until {@link #createsExclusively} asked it. */
    private volatile Boolean exclusive;
    private final ScheduledExecutorService retries =
            Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("s3-abort-retry"));

    public S3ObjectStore(S3Settings settings) {
        this.settings = settings;
        AwsCredentialsProvider credentials = settings.accessKey() == null ? DefaultCredentialsProvider.builder().build()
                : StaticCredentialsProvider.create(AwsBasicCredentials.create(settings.accessKey(), settings.secretKey()));
        S3ClientBuilder builder = S3Client.builder().region(Region.of(settings.region()))
                .forcePathStyle(settings.pathStyle()).credentialsProvider(credentials)
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .httpClientBuilder(Apache5HttpClient.builder().connectionTimeout(settings.connectTimeout())
                        .socketTimeout(settings.readTimeout()))
                // retries belong here, on each request, not around the operations: network errors (a pooled
                // connection a fault left dead answers its first use with "failed to respond"), 5xx and throttling
                // are sent again up to attempts times. Without the circuit breaker: the standard strategy's token
                // bucket stops retrying after a burst of failures, which is exactly when one more try is needed
                // before a good object is called unreadable (a verification would mark an intact backup FAILED)
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder()
                        .maxAttempts(settings.attempts()).circuitBreakerEnabled(false).build()));
        if (settings.endpoint() != null) {
            builder.endpointOverride(URI.create(settings.endpoint()));
        }
        this.client = builder.build();
    }

    @Override
    public StoredObject put(String key, InputStream content) throws IOException {
        return write(key, content, false).orElseThrow();
    }

    /** {@code If-None-Match: *} on the PUT, or on the completion of a multipart upload: 412 when the key exists. */
    @Override
    public Optional<StoredObject> create(String key, InputStream content) throws IOException {
        return write(key, content, true);
    }

    /**
     * Asked once, by trying it: S3 honours the condition since 2024, as do MinIO and most current servers, but
     * one that ignores it would silently replace, so a probe object is created twice below {@code .pgvault/}.
     * A probe that cannot reach the bucket answers false this time and is tried again next time.
     */
    @Override
    public boolean createsExclusively() throws IOException {
        Boolean known = exclusive;
        if (known != null) {
            return known;
        }
        String probe = ".pgvault/create-probe-" + java.util.UUID.randomUUID();
        try {
            boolean first = create(probe, new ByteArrayInputStream(new byte[] {1})).isPresent();
            boolean second = create(probe, new ByteArrayInputStream(new byte[] {2})).isPresent();
            exclusive = first && !second;
        } catch (IOException e) {
            if (!(e.getCause() instanceof S3Exception s3) || s3.statusCode() >= 500 && s3.statusCode() != 501) {
                throw e;
            }
            exclusive = false; // the server refuses the header (400, 501): it cannot promise it
        } finally {
            delete(probe);
        }
        return exclusive;
    }

    private Optional<StoredObject> write(String key, InputStream content, boolean ifAbsent) throws IOException {
        String name = name(key);
        MessageDigest digest = Sha256.newDigest();
        byte[] buffer = new byte[settings.partSize()];
        int filled = readFully(content, buffer);
        try {
            if (filled < buffer.length) {
                digest.update(buffer, 0, filled);
                client.putObject(b -> b.bucket(settings.bucket()).key(name).contentLength((long) filled)
                        .ifNoneMatch(ifAbsent ? "*" : null), body(buffer, filled));
                return Optional.of(new StoredObject(key, filled, Sha256.hex(digest)));
            }
        } catch (S3Exception e) {
            if (ifAbsent && taken(e)) {
                return Optional.empty();
            }
            throw failure("could not store", key, e);
        } catch (SdkException e) {
            throw failure("could not store", key, e);
        }
        return multipart(key, name, content, buffer, filled, digest, ifAbsent);
    }

    /** 412: the key exists; 409: a concurrent write to it is in progress (S3's ConditionalRequestConflict). */
    private static boolean taken(S3Exception e) {
        return e.statusCode() == 412 || e.statusCode() == 409;
    }

    private Optional<StoredObject> multipart(String key, String name, InputStream content, byte[] first,
            int firstFilled, MessageDigest digest, boolean ifAbsent) throws IOException {
        String uploadId;
        try {
            uploadId = client.createMultipartUpload(b -> b.bucket(settings.bucket()).key(name)).uploadId();
        } catch (SdkException e) {
            throw failure("could not start storing", key, e);
        }
        byte[] buffer = first;
        int filled = firstFilled;
        long size = 0;
        List<CompletedPart> parts = new ArrayList<>();
        try {
            while (filled > 0) {
                digest.update(buffer, 0, filled);
                size += filled;
                int number = parts.size() + 1;
                int length = filled;
                byte[] bytes = buffer;
                UploadPartResponse part = client.uploadPart(b -> b.bucket(settings.bucket()).key(name)
                        .uploadId(uploadId).partNumber(number).contentLength((long) length), body(bytes, length));
                parts.add(CompletedPart.builder().partNumber(number).eTag(part.eTag()).build());
                if (parts.size() % 1000 == 0 && buffer.length < MAX_PART_SIZE) {
                    buffer = new byte[Math.min(buffer.length * 2, MAX_PART_SIZE)];
                }
                filled = readFully(content, buffer);
            }
            client.completeMultipartUpload(b -> b.bucket(settings.bucket()).key(name).uploadId(uploadId)
                    .ifNoneMatch(ifAbsent ? "*" : null)
                    .multipartUpload(CompletedMultipartUpload.builder().parts(parts).build()));
            return Optional.of(new StoredObject(key, size, Sha256.hex(digest)));
        } catch (IOException | RuntimeException e) {
            try {
                client.abortMultipartUpload(b -> b.bucket(settings.bucket()).key(name).uploadId(uploadId));
            } catch (SdkException abort) {
                e.addSuppressed(abort);
                retryAbort(name, uploadId);
            }
            if (ifAbsent && e instanceof S3Exception s3 && taken(s3)) {
                return Optional.empty();
            }
            if (e instanceof SdkException sdk) {
                throw failure("could not store", key, sdk);
            }
            throw e;
        }
    }

    @Override
    public InputStream get(String key) throws IOException {
        try {
            return client.getObject(b -> b.bucket(settings.bucket()).key(name(key)));
        } catch (NoSuchKeyException e) {
            throw new NoSuchFileException(key, null, "no object with this key in " + describe());
        } catch (SdkException e) {
            throw failure("could not read", key, e);
        }
    }

    @Override
    public Optional<ObjectInfo> stat(String key) throws IOException {
        try {
            long size = client.headObject(b -> b.bucket(settings.bucket()).key(name(key))).contentLength();
            return Optional.of(new ObjectInfo(key, size));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw failure("could not look up", key, e);
        } catch (SdkException e) {
            throw failure("could not look up", key, e);
        }
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        return listWhere(prefix, object -> true);
    }

    @Override
    public List<String> listLevel(String prefix) throws IOException {
        String full = namePrefix(ObjectKeys.checkLevel(prefix));
        try {
            List<String> level = new ArrayList<>();
            for (software.amazon.awssdk.services.s3.model.ListObjectsV2Response page : client.listObjectsV2Paginator(
                    b -> b.bucket(settings.bucket()).prefix(full).delimiter("/"))) {
                page.contents().forEach(o -> level.add(keyOf(o.key())));
                page.commonPrefixes().forEach(p -> level.add(keyOf(p.prefix())));
            }
            level.sort(null);
            return level;
        } catch (SdkException e) {
            throw failure("could not list", prefix, e);
        }
    }

    @Override
    public List<String> listWrittenBefore(String prefix, Instant before) throws IOException {
        return listWhere(prefix, object -> object.lastModified() != null && object.lastModified().isBefore(before));
    }

    /** The keys below {@code prefix} whose objects {@code take} accepts, sorted. */
    private List<String> listWhere(String prefix, java.util.function.Predicate<S3Object> take) throws IOException {
        String full = namePrefix(ObjectKeys.checkPrefix(prefix));
        try {
            List<String> keys = new ArrayList<>();
            for (S3Object object : client.listObjectsV2Paginator(b -> b.bucket(settings.bucket()).prefix(full))
                    .contents()) {
                if (take.test(object)) {
                    keys.add(keyOf(object.key()));
                }
            }
            keys.sort(null);
            return keys;
        } catch (SdkException e) {
            throw failure("could not list", prefix, e);
        }
    }

    @Override
    public void delete(String key) throws IOException {
        try {
            client.deleteObject(b -> b.bucket(settings.bucket()).key(name(key)));
        } catch (SdkException e) {
            throw failure("could not delete", key, e);
        }
    }

    /**
     * An abort that could not reach the bucket (the network went in the middle of the upload) is tried again
     * in the background, after 1, 2, 4 ... 64 s; what is still there then is for {@link #sweepIncomplete}.
     */
    private void retryAbort(String name, String uploadId) {
        BackgroundRetry.schedule(retries, () -> {
            try {
                client.abortMultipartUpload(b -> b.bucket(settings.bucket()).key(name).uploadId(uploadId));
            } catch (NoSuchUploadException gone) {
                // aborted or swept meanwhile
            }
        }, "Could not abort the incomplete upload of '" + name + "' in " + describe()
                + "; the next start-up sweep removes its parts");
    }

    @Override
    public int sweepIncomplete(long olderThanSeconds) throws IOException {
        Instant before = Instant.now().minusSeconds(olderThanSeconds);
        int aborted = 0;
        try {
            for (MultipartUpload upload : client.listMultipartUploadsPaginator(b -> b.bucket(settings.bucket())
                    .prefix(settings.prefix().isEmpty() ? null : settings.prefix() + "/")).uploads()) {
                if (upload.initiated() == null || upload.initiated().isBefore(before)) {
                    client.abortMultipartUpload(b -> b.bucket(settings.bucket()).key(upload.key())
                            .uploadId(upload.uploadId()));
                    aborted++;
                }
            }
        } catch (SdkException e) {
            throw failure("could not sweep incomplete uploads", settings.prefix(), e);
        }
        return aborted;
    }

    @Override
    public String describe() {
        return "S3 bucket " + settings.bucket() + (settings.prefix().isEmpty() ? "" : " (prefix " + settings.prefix()
                + ")") + (settings.endpoint() == null ? "" : " at " + settings.endpoint());
    }

    @Override
    public void close() {
        retries.shutdownNow();
        client.close();
    }

    /** The store's key of a bucket's object name (the configured prefix taken off). */
    private String keyOf(String name) {
        return settings.prefix().isEmpty() ? name : name.substring(settings.prefix().length() + 1);
    }

    /** The bucket's name prefix of a checked key prefix (empty: everything under the configured prefix). */
    private String namePrefix(String prefix) {
        return settings.prefix().isEmpty() ? prefix : settings.prefix() + "/" + prefix;
    }

    /** The key in the bucket. */
    private String name(String key) {
        ObjectKeys.check(key);
        return settings.prefix().isEmpty() ? key : settings.prefix() + "/" + key;
    }

    private static RequestBody body(byte[] bytes, int length) {
        // a ByteArrayInputStream can be reset, so the SDK may retry the part without a copy
        return RequestBody.fromInputStream(new ByteArrayInputStream(bytes, 0, length), length);
    }

    private static int readFully(InputStream in, byte[] buffer) throws IOException {
        int filled = 0;
        for (int n; filled < buffer.length && (n = in.read(buffer, filled, buffer.length - filled)) >= 0; ) {
            filled += n;
        }
        return filled;
    }

    private IOException failure(String what, String key, SdkException e) {
        return new IOException(what + " '" + key + "' in " + describe() + ": " + FailureCause.describe(e), e);
    }
}
