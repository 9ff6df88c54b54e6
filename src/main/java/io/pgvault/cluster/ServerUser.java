package io.pgvault.cluster;

import io.pgvault.PgvaultProperties;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * The OS user of the PostgreSQL servers pgvault starts ({@code pgvault.postgres.os-user}). PostgreSQL refuses
 * to run as root, and every database superuser can act as this user (COPY ... TO PROGRAM), so when pgvault
 * runs as root, anything inside a directory this user can write is done with this user's rights: commands
 * are wrapped in runuser. When pgvault is not root, it is itself the user its servers run as.
 */
@Component
public class ServerUser {

    private final String name;
    private final boolean root;

    @Autowired
    ServerUser(PgvaultProperties properties) {
        this(properties.postgres().osUser());
    }

    private ServerUser(String name) {
        this.name = name;
        this.root = runningAsRoot();
    }

    /** The server user of that name, outside Spring (tests, tools). */
    public static ServerUser named(String name) {
        return new ServerUser(name);
    }

    /** The user's name (when pgvault is root) or pgvault's own user. */
    public String name() {
        return root ? name : System.getProperty("user.name");
    }

    /** Whether pgvault runs as root, so that work must be handed to the server user. */
    public boolean pgvaultIsRoot() {
        return root;
    }

    /**
     * {@code argv} run as the server user when pgvault is root, as it is otherwise: through setpriv (util-linux;
     * it only changes uid, gid and groups, about half the cost of runuser, which opens a PAM session), or
     * runuser where setpriv is missing.
     */
    public List<String> wrap(List<String> argv) {
        if (!root) {
            return argv;
        }
        List<String> wrapped = new ArrayList<>(SETPRIV != null
                ? List.of(SETPRIV, "--reuid=" + name, "--regid=" + name, "--init-groups", "--")
                : List.of(RUNUSER, "-u", name, "--"));
        wrapped.addAll(argv);
        return wrapped;
    }

    private static final String SETPRIV = Stream.of("/usr/bin/setpriv", "/bin/setpriv")
            .filter(p -> Files.isExecutable(Path.of(p))).findFirst().orElse(null);
    private static final String RUNUSER = Files.isExecutable(Path.of("/usr/sbin/runuser")) ? "/usr/sbin/runuser"
            : "/sbin/runuser";

    /**
     * Whether pgvault may work in {@code directory} with its own rights: a real directory (not a link) that
     * pgvault's user owns and nobody else may write. Anywhere else the server user does the work.
     */
    public boolean pgvaultOwnsAlone(Path directory) {
        try {
            PosixFileAttributes a = Files.readAttributes(directory, PosixFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS);
            Set<PosixFilePermission> p = a.permissions();
            UserPrincipal me = directory.getFileSystem().getUserPrincipalLookupService()
                    .lookupPrincipalByName(System.getProperty("user.name"));
            return a.isDirectory() && a.owner().equals(me) && !p.contains(PosixFilePermission.GROUP_WRITE)
                    && !p.contains(PosixFilePermission.OTHERS_WRITE);
        } catch (IOException e) {
            return false;
        }
    }

    /** Hands a directory that pgvault just made (empty, in a directory only pgvault may write) to the server user. */
    public void handOver(Path emptyDirectory) throws IOException {
        if (!root) {
            return;
        }
        var lookup = emptyDirectory.getFileSystem().getUserPrincipalLookupService();
        var view = Files.getFileAttributeView(emptyDirectory,
                java.nio.file.attribute.PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        view.setOwner(lookup.lookupPrincipalByName(name));
        view.setGroup(lookup.lookupPrincipalByGroupName(name));
    }

    private static boolean runningAsRoot() {
        try {
            // the owner of /proc/self is the effective uid
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }
}
