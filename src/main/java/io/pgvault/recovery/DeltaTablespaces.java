package io.pgvault.recovery;

import io.pgvault.blocks.BlockManifest;
import io.pgvault.blocks.BlockStore;
import io.pgvault.blocks.BlockStores;
import io.pgvault.blocks.DeltaRestore;
import io.pgvault.job.JobContext;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The tablespaces of a delta restore, once the data directory is done. Each tablespace of the backup is brought to
 * the backup where the target keeps it: below the directory its link {@code pg_tblspc/<oid>} points at, or in its
 * in-place directory, block by block as the data directory is ({@link DeltaRestore}: same workers, every write the
 * PostgreSQL OS user's). Only the backup's {@code PG_<major>_<catversion>} directory there is compared, and files the
 * backup lacks are removed from it alone: the rest of a tablespace's directory (another major's, after pg_upgrade) is
 * not this server's. A tablespace whose link is missing, or points at no directory, is recreated in place (a directory
 * in {@code pg_tblspc}, as a restore into a new directory makes it): never at the path the backup recorded, which may
 * be another server's now. A link or directory in {@code pg_tblspc} the backup lacks is removed; for a link, only the
 * link (its target is left as it is). Nothing is written outside the data directory but below the targets of the
 * links the target directory has.
 */
final class DeltaTablespaces {

    private static final Pattern TABLESPACE = Pattern.compile("^pg_tblspc/(\\d+)$");

    /** What the tablespaces' deltas did, and whether any tablespace is now a directory in pg_tblspc. */
    record Outcome(DeltaRestore.Report report, boolean inPlace) {
    }

    private record Place(Path root, String what, boolean inPlace) {
    }

    private final ServerUserFiles files;
    private final Function<Path, DeltaRestore.Target> targets;
    private final JobContext context;

    DeltaTablespaces(ServerUserFiles files, Function<Path, DeltaRestore.Target> targets, JobContext context) {
        this.files = files;
        this.targets = targets;
        this.context = context;
    }

    /** Whether the backup or the directory has a tablespace: whether there is anything to do. */
    boolean any(BlockManifest manifest, Path directory) throws IOException {
        return !tablespaces(manifest).isEmpty() || !oids(directory.resolve("pg_tblspc")).isEmpty();
    }

    Outcome write(BlockStore store, BlockManifest manifest, Path directory) throws IOException, InterruptedException {
        Path tblspc = directory.resolve("pg_tblspc");
        Map<String, BlockManifest.Entry> backed = tablespaces(manifest);
        DeltaRestore.Report total = DeltaRestore.Report.none();
        boolean inPlace = false;
        for (Map.Entry<String, BlockManifest.Entry> t : backed.entrySet()) {
            String name = "pg_tblspc/" + t.getKey();
            BlockManifest content = manifest.below(name + "/");
            Place place = place(tblspc.resolve(t.getKey()), name, t.getValue());
            inPlace |= place.inPlace();
            // the backup's PG_<major>_<catversion> directory (one, from this server's major) is what is compared
            Set<String> versions = new TreeSet<>();
            content.entries().stream().map(e -> e.path().split("/")[0]).forEach(versions::add);
            context.cancellation().throwIfCancelled();
            DeltaRestore.Report report = DeltaRestore.run(store, content, place.root(), e -> true,
                    path -> versions.stream().noneMatch(v -> path.equals(v) || path.startsWith(v + "/")),
                    BlockStores.WORKERS, targets.apply(place.root()), context.cancellation());
            context.log("pgvault: tablespace " + name + " (" + place.what() + "): " + report.describe());
            total = total.plus(report);
        }
        int stale = 0;
        for (String oid : oids(tblspc)) {
            if (backed.containsKey(oid)) {
                continue;
            }
            Path path = tblspc.resolve(oid);
            if (Files.isSymbolicLink(path)) {
                context.log("pgvault: pg_tblspc/" + oid + " is not in the backup: the link is removed (its target "
                        + Files.readSymbolicLink(path) + " is left as it is)");
            } else {
                context.log("pgvault: pg_tblspc/" + oid + " is not in the backup: removed");
            }
            files.remove(path);
            stale++;
        }
        return new Outcome(total.plus(new DeltaRestore.Report(0, 0, 0, 0, 0, stale)), inPlace);
    }

    /** The backup's tablespaces by OID: links in pg_tblspc, or directories there (in place). */
    private static Map<String, BlockManifest.Entry> tablespaces(BlockManifest manifest) {
        Map<String, BlockManifest.Entry> backed = new TreeMap<>();
        for (BlockManifest.Entry e : manifest.entries()) {
            Matcher m = TABLESPACE.matcher(e.path());
            if (m.matches() && (e.type() == 'l' || e.type() == 'd')) {
                backed.put(m.group(1), e);
            }
        }
        return backed;
    }

    /**
     * Where a tablespace of the backup is written: the directory its link points at, its in-place directory, or a
     * directory made in place of a link that is missing or points at no directory.
     */
    private Place place(Path link, String name, BlockManifest.Entry backed) throws IOException, InterruptedException {
        BasicFileAttributes there = attributes(link);
        String recorded = backed.type() == 'l' ? " (the backup's link pointed at " + backed.link() + ")" : "";
        if (there != null && there.isSymbolicLink()) {
            Path to = Files.readSymbolicLink(link);
            Path resolved = link.getParent().resolve(to);
            if (Files.isDirectory(resolved)) {
                Path real = resolved.toRealPath();
                return new Place(real, "link to " + real, false);
            }
            context.log("pgvault: " + name + " points at " + to + ", which is not a directory: the link is removed and "
                    + "the tablespace recreated in place (a directory in pg_tblspc)" + recorded);
            files.remove(link);
        } else if (there != null && there.isDirectory()) {
            return new Place(link, "in place", true);
        } else if (there != null) {
            context.log("pgvault: " + name + " is neither a link nor a directory: it is removed and the tablespace "
                    + "recreated in place (a directory in pg_tblspc)" + recorded);
            files.remove(link);
        } else {
            context.log("pgvault: " + name + " is missing: the tablespace is recreated in place (a directory in "
                    + "pg_tblspc, allow_in_place_tablespaces on)" + recorded);
        }
        files.mkdir(link);
        return new Place(link, "recreated in place", true);
    }

    private static BasicFileAttributes attributes(Path path) throws IOException {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** The tablespace names (OIDs) in pg_tblspc. */
    private static List<String> oids(Path tblspc) throws IOException {
        List<String> oids = new ArrayList<>();
        if (!Files.isDirectory(tblspc, LinkOption.NOFOLLOW_LINKS)) {
            return oids;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(tblspc)) {
            for (Path p : entries) {
                String name = p.getFileName().toString();
                if (name.chars().allMatch(Character::isDigit)) {
                    oids.add(name);
                }
            }
        }
        oids.sort(null);
        return oids;
    }
}
