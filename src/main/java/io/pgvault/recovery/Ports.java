package io.pgvault.recovery;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.io.UncheckedIOException;

/** TCP ports for servers pgvault starts on this host. */
final class Ports {

    private Ports() {
    }

    /** Whether something listens on the port (on any address, as a server listening on * would need it). */
    static boolean inUse(int port) {
        for (String address : new String[] {"0.0.0.0", "127.0.0.1"}) {
            try (ServerSocket socket = new ServerSocket()) {
                socket.setReuseAddress(false);
                socket.bind(new InetSocketAddress(InetAddress.getByName(address), port), 1);
            } catch (IOException e) {
                return true;
            }
        }
        return false;
    }

    /** A port free right now on loopback. */
    static int free() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
