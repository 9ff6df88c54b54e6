package io.pgvault.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.LinkOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free local ports for the servers the harness starts (PostgreSQL, S3Proxy, pgvault processes, Prometheus), and
 * ports that must stay dead (a receiver that never answers).
 *
 * <p>Why not simply a port the kernel hands out for port 0: such a port is only free until the socket closes,
 * and the server that is to listen on it starts later. With one test JVM that was a small risk; with two Surefire
 * forks, and other builds of the same user on the machine, two JVMs asking at the same moment can get the same
 * port, and one test then talks to the other's server. So a port is <em>reserved</em> across processes: a
 * byte-range lock on byte {@code port} of {@code <tmp>/pgvault-test-postgres-<uid>/ports.lock}, held until the
 * JVM exits (the kernel drops it then, even after a kill), and taken only when nothing listens on it. The ports
 * come from {@value #LOW}-{@value #HIGH}, below Linux's ephemeral range (32768-60999), so that neither the
 * kernel's port-0 answers (Tomcat's random port, a relay) nor outgoing connections' local ports take a reserved
 * one meanwhile. A JVM never gets a port twice.
 */
public final class Ports {

    static final int LOW = 20000;
    static final int HIGH = 32000;

    private static final Map<Integer, FileLock> RESERVED = new HashMap<>();
    private static FileChannel locks;

    private Ports() {
    }

    /** A port that nothing listens on at 127.0.0.1 right now, reserved for this JVM. */
    public static synchronized int free() {
        try {
            if (locks == null) {
                locks = FileChannel.open(PgServerBinaries.root().resolve("ports.lock"), StandardOpenOption.CREATE,
                        StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            }
            int span = HIGH - LOW;
            int start = ThreadLocalRandom.current().nextInt(span);
            for (int i = 0; i < span; i++) {
                int port = LOW + (start + i) % span;
                if (RESERVED.containsKey(port)) {
                    continue;
                }
                FileLock lock;
                try {
                    lock = locks.tryLock(port, 1, false);
                } catch (OverlappingFileLockException e) {
                    continue;
                }
                if (lock == null) {
                    continue; // another JVM's
                }
                if (bindable(port)) {
                    RESERVED.put(port, lock);
                    return port;
                }
                lock.release();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("no free port in " + LOW + "-" + HIGH);
    }

    private static boolean bindable(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
