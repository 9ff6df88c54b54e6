package io.pgvault.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP relay on a free local port in front of a server, which a test can cut: every open connection is
 * reset and new ones are refused until {@link #restore}. Stands for a network that fails mid-transfer.
 */
public final class Relay implements AutoCloseable {

    private final int target;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile ServerSocket listener;
    /** Bytes clients may still send before the relay cuts itself; negative: no limit. */
    private final java.util.concurrent.atomic.AtomicLong budget = new java.util.concurrent.atomic.AtomicLong(-1);
    private volatile int port;

    public Relay(int target) {
        this.target = target;
        listen(0);
    }

    public int port() {
        return port;
    }

    /** Resets every connection and stops listening: the server is unreachable. */
    public synchronized void cut() {
        try {
            listener.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (Socket s : sockets) {
            try {
                if (!s.isClosed()) {
                    s.setSoLinger(true, 0);
                }
                s.close();
            } catch (IOException alreadyGone) {
                // closed by its pump meanwhile
            }
        }
        sockets.clear();
    }

    /**
     * Cuts the relay ({@link #cut}) once {@code bytes} more have gone from clients to the server: the network
     * goes in the middle of an upload.
     */
    public void cutAfter(long bytes) {
        budget.set(bytes);
    }

    /** Listens again on the same port. */
    public synchronized void restore() {
        listen(port);
    }

    private void listen(int on) {
        try {
            ServerSocket server = new ServerSocket(on, 50, InetAddress.getLoopbackAddress());
            listener = server;
            port = server.getLocalPort();
            Thread accepting = new Thread(() -> accept(server), "relay-" + port);
            accepting.setDaemon(true);
            accepting.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void accept(ServerSocket server) {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target);
                sockets.add(client);
                sockets.add(upstream);
                pump(client, upstream, true);
                pump(upstream, client, false);
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void pump(Socket from, Socket to, boolean counted) {
        Thread t = new Thread(() -> {
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                byte[] buffer = new byte[64 * 1024];
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    out.write(buffer, 0, n);
                    if (counted && budget.get() >= 0 && budget.addAndGet(-n) < 0) {
                        budget.set(-1);
                        cut();
                        return;
                    }
                }
            } catch (IOException ended) {
                // the other side closed, or the relay was cut
            } finally {
                try {
                    to.close();
                    from.close();
                } catch (IOException ignored) {
                    // closing
                }
            }
        }, "relay-pump");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() {
        cut();
    }
}
