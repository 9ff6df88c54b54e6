package io.pgvault.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 server for the tests: S3Proxy (Maven Central, copied to target/s3proxy by the build) run as its
 * own process with its filesystem backend in a temporary directory, on a free port. One process per test JVM,
 * started by the first class that asks and stopped when the JVM exits (each start of a Java server costs the
 * suite seconds of CPU, and its compiler's warm-up again); each {@link #start} gets a fresh bucket of its own (the
 * name asked for with a number added, so that two classes asking for the same name never share one), and
 * {@link #close} removes that bucket's files.
 */
public final class S3Server implements AutoCloseable {

    public static final String ACCESS_KEY = "pgvault-test-access";
    public static final String SECRET_KEY = "pgvault-test-secret-" + UUID.randomUUID();

    private static final java.util.concurrent.atomic.AtomicInteger BUCKETS = new java.util.concurrent.atomic.AtomicInteger();
    private static Proxy shared;

    /** The S3Proxy process of this JVM. */
    private record Proxy(Path directory, Process process, int port) {
    }

    private final Proxy proxy;
    private final String bucket;

    private S3Server(Proxy proxy, String bucket) {
        this.proxy = proxy;
        this.bucket = bucket;
    }

    /**
     * A fresh bucket, named {@code bucket} and a number, on this JVM's S3Proxy (started now if it is not running);
     * fails the test when it does not answer within 60 s.
     */
    public static S3Server start(String bucket) {
        String name = bucket + "-" + BUCKETS.incrementAndGet();
        S3Server server = new S3Server(proxy(), name);
        try (S3Client client = server.client()) {
            client.createBucket(b -> b.bucket(name));
        }
        return server;
    }

    private static synchronized Proxy proxy() {
        if (shared != null && shared.process().isAlive()) {
            return shared;
        }
        Path jar = Path.of("target", "s3proxy", "s3proxy-jar-with-dependencies.jar").toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: the build copies it in generate-test-resources "
                    + "(./mvnw test); it comes from Maven Central as org.gaul:s3proxy:jar-with-dependencies");
        }
        try {
            Path directory = Files.createTempDirectory("pgvault-s3proxy");
            Path data = Files.createDirectories(directory.resolve("data"));
            int port = Ports.free();
            Path properties = directory.resolve("s3proxy.conf");
            Files.writeString(properties, String.join("\n",
                    "s3proxy.endpoint=http://127.0.0.1:" + port,
                    "s3proxy.authorization=aws-v2-or-v4",
                    "s3proxy.identity=" + ACCESS_KEY,
                    "s3proxy.credential=" + SECRET_KEY,
                    "jclouds.provider=filesystem",
                    "jclouds.filesystem.basedir=" + data, ""));
            Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx256m", "-XX:+UseSerialGC", "-jar", jar.toString(), "--properties", properties.toString())
                    .redirectErrorStream(true).redirectOutput(directory.resolve("s3proxy.log").toFile()).start();
            Proxy started = new Proxy(directory, process, port);
            awaitReady(started, directory.resolve("s3proxy.log"));
            Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(started), "pgvault-s3proxy-stop"));
            shared = started;
            return started;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Configures {@code pgvault.repositories.<name>} as an S3 repository on this server: path-style, with the
     * server's keys, at {@code endpoint} (this server's own, or a relay in front of it) and {@code bucket}.
     */
    public void registerRepository(org.springframework.test.context.DynamicPropertyRegistry registry, String name,
            java.util.function.Supplier<Object> endpoint, String bucket) {
        String prefix = "pgvault.repositories." + name + ".";
        registry.add(prefix + "type", () -> "s3");
        registry.add(prefix + "endpoint", endpoint);
        registry.add(prefix + "bucket", () -> bucket);
        registry.add(prefix + "path-style", () -> "true");
        registry.add(prefix + "access-key", () -> ACCESS_KEY);
        registry.add(prefix + "secret-key", () -> SECRET_KEY);
    }

    /** As above, at this server's endpoint and bucket. */
    public void registerRepository(org.springframework.test.context.DynamicPropertyRegistry registry, String name) {
        registerRepository(registry, name, this::endpoint, bucket);
    }

    public String endpoint() {
        return "http://127.0.0.1:" + proxy.port();
    }

    public int port() {
        return proxy.port();
    }

    public String bucket() {
        return bucket;
    }

    /** A client of the bucket's server, for what the tests check behind pgvault's back. */
    public S3Client client() {
        return client(endpoint());
    }

    /** A client that talks to {@code endpoint} (e.g. a relay in front of the server). */
    public static S3Client client(String endpoint) {
        return S3Client.builder().endpointOverride(URI.create(endpoint)).region(Region.US_EAST_1)
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                .build();
    }

    /** Multipart uploads begun and neither completed nor aborted. */
    public List<String> incompleteUploads() {
        try (S3Client client = client()) {
            return client.listMultipartUploads(b -> b.bucket(bucket)).uploads().stream()
                    .map(u -> u.key() + " " + u.uploadId()).toList();
        }
    }

    private static void awaitReady(Proxy proxy, Path log) throws IOException {
        Process process = proxy.process();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("S3Proxy exited: " + Files.readString(log));
            }
            try {
                HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + proxy.port()).toURL()
                        .openConnection();
                c.setConnectTimeout(500);
                c.getResponseCode();
                c.disconnect();
                return;
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    process.destroyForcibly();
                    throw new IllegalStateException("S3Proxy did not answer on port " + proxy.port() + " within 60 s: "
                            + Files.readString(log));
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    /** Removes this bucket's files (the process goes on for the JVM's other classes). */
    @Override
    public void close() {
        deleteTree(proxy.directory().resolve("data").resolve(bucket));
    }

    private static void stop(Proxy proxy) {
        proxy.process().destroy();
        try {
            if (!proxy.process().waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                proxy.process().destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deleteTree(proxy.directory());
    }

    private static void deleteTree(Path directory) {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
