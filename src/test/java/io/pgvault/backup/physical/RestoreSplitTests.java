package io.pgvault.backup.physical;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.blocks.BlockManifest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * How a BLOCKS backup is dealt to tar processes that unpack it side by side: every directory in every stream, in the
 * manifest's order (a directory before what is in it); every file and link in exactly one; byte counts balanced; no
 * more streams than there are files.
 */
class RestoreSplitTests {

    @Test
    void directoriesGoToEveryStreamFilesToOneAndTheBytesAreBalanced() {
        List<BlockManifest.Entry> entries = new ArrayList<>();
        entries.add(dir("base"));
        entries.add(dir("base/5"));
        long[] sizes = {1 << 30, 1 << 30, 1 << 30, 300 << 20, 8192, 8192, 0, 40 << 20};
        for (int i = 0; i < sizes.length; i++) {
            entries.add(new BlockManifest.Entry("base/5/" + (16384 + i), 'f', sizes[i], 0600, 0, null, List.of()));
        }
        entries.add(dir("global"));
        entries.add(new BlockManifest.Entry("global/pg_control", 'f', 8192, 0600, 0, null, List.of()));
        entries.add(new BlockManifest.Entry("pg_wal", 'l', 0, 0777, 0, "/elsewhere", List.of()));

        List<List<BlockManifest.Entry>> split = BaseBackupArchive.split(entries, 2);
        assertThat(split).hasSize(2);
        for (List<BlockManifest.Entry> stream : split) {
            assertThat(stream.stream().filter(e -> e.type() == 'd').map(BlockManifest.Entry::path))
                    .containsExactly("base", "base/5", "global");
            // the manifest's order kept
            assertThat(entries).containsSubsequence(stream);
        }
        List<BlockManifest.Entry> dealt = new ArrayList<>();
        split.forEach(s -> s.stream().filter(e -> e.type() != 'd').forEach(dealt::add));
        assertThat(dealt).containsExactlyInAnyOrderElementsOf(entries.stream().filter(e -> e.type() != 'd').toList());
        long first = split.get(0).stream().mapToLong(BlockManifest.Entry::size).sum();
        long second = split.get(1).stream().mapToLong(BlockManifest.Entry::size).sum();
        assertThat(Math.abs(first - second)).as("%d and %d bytes", first, second).isLessThanOrEqualTo(1L << 30);
        assertThat(Math.min(first, second)).isGreaterThan(1L << 30);

        assertThat(BaseBackupArchive.split(entries.subList(0, 3), 4)).as("one file: one stream").hasSize(1);
        assertThat(BaseBackupArchive.split(entries, 1)).containsExactly(entries);
    }

    static BlockManifest.Entry dir(String path) {
        return new BlockManifest.Entry(path, 'd', 0, 0700, 0, null, List.of());
    }
}
