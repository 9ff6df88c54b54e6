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
    private volatile boolean unavailable;
    /** While set, connections stay open and every byte is swallowed: the server "does not answer". */
    private volatile boolean hanging;
    /** Bytes clients may still send before the relay cuts itself; negative: no limit. */
    private final java.util.concurrent.atomic.AtomicLong budget = new java.util.concurrent.atomic.AtomicLong(-1);
    /** What happens when the budget runs out: {@link #cut} unless {@link #faultAfter} said otherwise. */
    private volatile Runnable onBudgetSpent = this::cut;
    /** Bytes that went from clients to the server since the relay started. */
    private final java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();
    /** Whether the last budget ran out (its fault fired). */
    private volatile boolean fired;
    /** Whether the fault fires before the bytes that spend the budget pass ({@link #faultBefore}), else after. */
    private volatile boolean beforeForwarding;
    private volatile int port;
    /** Connections still to be answered 503 before connections pass again (see {@link #answer503Next}). */
    private final java.util.concurrent.atomic.AtomicInteger refusals = new java.util.concurrent.atomic.AtomicInteger();
    /** Connections accepted since the relay started, refused ones included. */
    private final java.util.concurrent.atomic.AtomicInteger accepted = new java.util.concurrent.atomic.AtomicInteger();

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
        faultAfter(bytes, this::cut);
    }

    /**
     * Runs {@code fault} (e.g. {@code () -> answer503(true)}) once {@code bytes} more have gone from clients to the
     * server: a fault that hits a transfer in its middle, or its last request.
     */
    public void faultAfter(long bytes, Runnable fault) {
        fired = false;
        beforeForwarding = false;
        onBudgetSpent = fault;
        budget.set(bytes);
    }

    /**
     * As {@link #faultAfter}, but the fault comes before the bytes that spend the budget pass: a small request (a
     * DELETE, one read of the socket) that would spend it never reaches the server, where after {@link #faultAfter}
     * it would be there whole and only its answer lost.
     */
    public void faultBefore(long bytes, Runnable fault) {
        fired = false;
        beforeForwarding = true;
        onBudgetSpent = fault;
        budget.set(bytes);
    }

    /** Whether the fault armed by {@link #faultAfter} (or {@link #cutAfter}) has happened. */
    public boolean fired() {
        return fired;
    }

    /** Bytes sent from clients to the server through the relay so far. */
    public long sent() {
        return sent.get();
    }

    /** Ends every fault: no 503, no hang, no armed budget, and listening again if it was cut. */
    public synchronized void heal() {
        budget.set(-1);
        answer503(false);
        hang(false);
        if (listener.isClosed()) {
            restore();
        }
    }

    /**
     * While on, every new connection is answered {@code 503 Service Unavailable} (what S3 says when it sheds
     * load) instead of reaching the server; connections already open are cut.
     */
    public synchronized void answer503(boolean on) {
        unavailable = on;
        if (on) {
            for (Socket s : sockets) {
                try {
                    s.close();
                } catch (IOException alreadyGone) {
                    // closed by its pump meanwhile
                }
            }
            sockets.clear();
        }
    }

    /**
     * While on, the server stops answering: connections (open and new) stay open, but nothing passes in
     * either direction, so a client waits until its own timeout. Off: the silent connections are reset and new
     * ones pass bytes again.
     */
    public synchronized void hang(boolean on) {
        hanging = on;
        if (!on) {
            // what was swallowed is lost: reset those connections so that clients retry on new ones
            for (Socket s : sockets) {
                try {
                    s.close();
                } catch (IOException alreadyGone) {
                    // closed by its pump meanwhile
                }
            }
            sockets.clear();
        }
    }

    /** The next {@code connections} new connections are answered 503; later ones pass. */
    public void answer503Next(int connections) {
        refusals.set(connections);
    }

    /** How many connections clients opened to the relay so far (each attempt of an S3 client that was refused, too). */
    public int accepted() {
        return accepted.get();
    }

    /** Listens again on the same port. */
    public synchronized void restore() {
        listen(port);
    }

    private void listen(int on) {
        try {
            ServerSocket server = bind(on);
            listener = server;
            port = server.getLocalPort();
            Thread accepting = new Thread(() -> accept(server), "relay-" + port);
            accepting.setDaemon(true);
            accepting.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A listener on the port (any free one for 0). Listening again on a port just given up can meet its old
     * connections in TIME_WAIT, or a client's outgoing connection that took it meanwhile: tried again for a
     * bounded time.
     */
    private static ServerSocket bind(int on) throws IOException {
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(10).toNanos();
        while (true) {
            ServerSocket server = new ServerSocket();
            try {
                server.setReuseAddress(true);
                server.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), on), 50);
                return server;
            } catch (java.net.BindException e) {
                server.close();
                if (on == 0 || System.nanoTime() > deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private void accept(ServerSocket server) {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                accepted.incrementAndGet();
                if (unavailable || refusals.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    refuse(client);
                    continue;
                }
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

    /** Reads the request's head, answers 503 with S3's error body, and closes. */
    private static void refuse(Socket client) {
        Thread t = new Thread(() -> {
            try (Socket c = client; InputStream in = c.getInputStream(); OutputStream out = c.getOutputStream()) {
                int matched = 0;
                for (int b; matched < 4 && (b = in.read()) >= 0; ) {
                    matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : b == '\r' ? 1 : 0;
                }
                byte[] body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>ServiceUnavailable</Code>"
                        + "<Message>Service Unavailable</Message></Error>").getBytes(java.nio.charset.StandardCharsets.UTF_8);
                out.write(("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml\r\nContent-Length: "
                        + body.length + "\r\nConnection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
            } catch (IOException ignored) {
                // the client went first
            }
        }, "relay-503");
        t.setDaemon(true);
        t.start();
    }

    private void pump(Socket from, Socket to, boolean counted) {
        Thread t = new Thread(() -> {
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                byte[] buffer = new byte[64 * 1024];
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    if (counted && beforeForwarding && budget.get() >= 0 && budget.addAndGet(-n) < 0) {
                        budget.set(-1);
                        fired = true;
                        onBudgetSpent.run();
                        if (from.isClosed() || to.isClosed()) {
                            return;
                        }
                    }
                    if (hanging) {
                        continue; // swallowed: the other side never hears of it
                    }
                    out.write(buffer, 0, n);
                    if (counted) {
                        sent.addAndGet(n);
                    }
                    if (counted && !beforeForwarding && budget.get() >= 0 && budget.addAndGet(-n) < 0) {
                        budget.set(-1);
                        fired = true;
                        onBudgetSpent.run();
                        if (from.isClosed() || to.isClosed()) {
                            return;
                        }
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
