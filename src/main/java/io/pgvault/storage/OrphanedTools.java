package io.pgvault.storage;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tools left running by a pgvault that died (SIGKILL, OOM): a pg_basebackup or pg_dump whose parent is gone
 * goes on writing into the staging area, holding a connection to the database server, because its broken
 * pipes do not stop it (libpq ignores SIGPIPE). At start-up, before the staging area is swept, every orphaned
 * process whose command line names one of this store's work areas is ended (SIGTERM, then SIGKILL). Only
 * orphans: a tool whose parent is a live process is another running instance's and is left alone.
 */
final class OrphanedTools {

    private static final Logger log = LoggerFactory.getLogger(OrphanedTools.class);

    private OrphanedTools() {
    }

    static int end(List<Path> workAreas) {
        List<ProcessHandle> orphans = ProcessHandle.allProcesses()
                .filter(p -> p.pid() != ProcessHandle.current().pid())
                .filter(OrphanedTools::isOrphan)
                .filter(p -> p.info().commandLine().map(c -> workAreas.stream()
                        .anyMatch(area -> c.contains(area.toString() + "/"))).orElse(false))
                .toList();
        for (ProcessHandle p : orphans) {
            log.warn("Ending a tool left running by an earlier run: pid {} {}", p.pid(),
                    p.info().command().orElse("?"));
            p.destroy();
        }
        for (ProcessHandle p : orphans) {
            try {
                p.onExit().get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
            }
        }
        return orphans.size();
    }

    /**
     * No live JVM (a pgvault) among its ancestors: it was re-parented to init or a sub-reaper. A tool's own
     * children (pg_basebackup's WAL streamer, pg_dump's workers) have a running pgvault further up.
     */
    private static boolean isOrphan(ProcessHandle p) {
        for (Optional<ProcessHandle> up = p.parent(); up.isPresent(); up = up.get().parent()) {
            ProcessHandle ancestor = up.get();
            if (ancestor.pid() == 1) {
                return true;
            }
            boolean jvm = ancestor.info().command().map(c -> c.endsWith("/java") || c.endsWith("/java.exe"))
                    .orElse(true); // unknown (another user's process): not ours to judge
            if (jvm) {
                return false;
            }
        }
        return true;
    }
}
