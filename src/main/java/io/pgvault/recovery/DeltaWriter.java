package io.pgvault.recovery;

import io.pgvault.backup.BackupView;
import io.pgvault.backup.physical.BaseBackupArchive;
import io.pgvault.blocks.BlockManifest;
import io.pgvault.blocks.BlockStore;
import io.pgvault.blocks.BlockStores;
import io.pgvault.blocks.DeltaRestore;
import io.pgvault.job.JobContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.springframework.stereotype.Component;

/**
 * A delta restore: the cluster's own data directory (its server stopped) brought to a block-store backup by
 * writing only what differs ({@link DeltaRestore}); pgvault reads the files there to hash them, and every write,
 * cut and removal runs with the PostgreSQL OS user's rights ({@link ServerUserFiles}), as an unpack would. Then each
 * tablespace the same way, where the directory's own link points ({@link DeltaTablespaces}). Kept although the backup
 * lacks them: the WAL segments the old server never archived ({@code unarchived}), exactly those an in-place recovery
 * that moves the directory aside carries over (and, like it, in their own version rather than the backup's). The
 * backup's {@code tablespace_map} is left out (and one there removed): PostgreSQL would replace the links the delta
 * kept, or a tablespace it recreated in place, with links to the paths the backup recorded.
 */
@Component
class DeltaWriter {

    private final BaseBackupArchive archive;
    private final ServerUserFiles files;

    DeltaWriter(BaseBackupArchive archive, ServerUserFiles files) {
        this.archive = archive;
        this.files = files;
    }

    /** Returns whether a tablespace is now a directory in pg_tblspc (allow_in_place_tablespaces is then needed). */
    boolean write(BackupView backup, Path directory, Set<String> unarchived, JobContext context)
            throws IOException, InterruptedException {
        context.phase("comparing the data directory with the backup");
        BlockStore store = archive.blockStore(backup);
        BlockManifest manifest = archive.manifest(backup);
        DeltaRestore.Report report = DeltaRestore.run(store, manifest, directory,
                e -> !e.path().startsWith("pg_tblspc/") && !e.path().equals("tablespace_map")
                        && !unarchived.contains(e.path()),
                path -> path.startsWith("pg_tblspc/") || unarchived.contains(path), BlockStores.WORKERS,
                target(directory, context), context.cancellation());
        DeltaTablespaces tablespaces = new DeltaTablespaces(files, root -> target(root, context), context);
        if (!tablespaces.any(manifest, directory)) {
            context.log("pgvault: " + report.describe());
            return false;
        }
        context.log("pgvault: data directory: " + report.describe());
        context.phase("comparing the tablespaces with the backup");
        DeltaTablespaces.Outcome outcome = tablespaces.write(store, manifest, directory);
        context.log("pgvault: all together: " + report.plus(outcome.report()).describe());
        return outcome.inPlace();
    }

    private DeltaRestore.Target target(Path directory, JobContext context) {
        return new DeltaRestore.Target() {
            @Override
            public void write(String path, long offset, byte[] data) throws IOException, InterruptedException {
                files.writeAt(directory.resolve(path), offset, data);
            }

            @Override
            public void truncate(String path, long size) throws IOException, InterruptedException {
                files.truncate(directory.resolve(path), size);
            }

            @Override
            public void remove(List<String> paths) throws IOException, InterruptedException {
                for (int i = 0; i < paths.size(); i += 200) {
                    files.remove(paths.subList(i, Math.min(paths.size(), i + 200)).stream().map(directory::resolve)
                            .toArray(Path[]::new));
                }
            }

            @Override
            public void untar(InputStream tar) throws IOException, InterruptedException {
                files.untar(tar, directory, context.cancellation());
            }
        };
    }
}
