package io.pgvault.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The H2 catalog's files are owner-only, from a new catalog's first byte and for one made before this rule. */
class CatalogFilesTests {

    @TempDir
    Path dir;

    @Test
    void findsTheFileOfEmbeddedH2UrlsOnly() {
        assertThat(CatalogFiles.h2File("jdbc:h2:file:./data/catalog;FILE_LOCK=FS;WRITE_DELAY=0"))
                .contains(Path.of("data/catalog").toAbsolutePath());
        assertThat(CatalogFiles.h2File("jdbc:h2:/var/lib/pgvault/catalog"))
                .contains(Path.of("/var/lib/pgvault/catalog")); // fixed-path-ok: a URL parsed, no file touched
        assertThat(CatalogFiles.h2File("jdbc:h2:~/catalog")).contains(Path.of(System.getProperty("user.home"),
                "catalog"));
        assertThat(CatalogFiles.h2File("jdbc:h2:mem:test;DB_CLOSE_DELAY=-1")).isEmpty();
        assertThat(CatalogFiles.h2File("jdbc:h2:tcp://db/catalog")).isEmpty();
        assertThat(CatalogFiles.h2File("jdbc:postgresql://db/pgvault")).isEqualTo(Optional.empty());
    }

    @Test
    void aNewCatalogIsOwnerOnlyFromTheStart() throws Exception {
        Path base = dir.resolve("data").resolve("catalog");
        CatalogFiles.ownerOnly(base);
        useAndProvokeATraceLine(base);
        assertThat(catalogFiles()).isNotEmpty().allSatisfy(f -> assertThat(mode(f)).as(f.toString())
                .isEqualTo("rw-------"));
        assertThat(catalogFiles()).extracting(f -> f.getFileName().toString())
                .contains("catalog.mv.db", "catalog.trace.db");
    }

    @Test
    void anExistingCatalogBecomesOwnerOnly() throws Exception {
        Path base = dir.resolve("catalog");
        useAndProvokeATraceLine(base);
        // as an earlier pgvault (H2 follows the umask) left them
        for (Path f : catalogFiles().toList()) {
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        }
        CatalogFiles.ownerOnly(base);
        assertThat(catalogFiles()).allSatisfy(f -> assertThat(mode(f)).isEqualTo("rw-------"));
        try (Connection c = open(base); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("select count(*) from t")) {
            rs.next();
            assertThat(rs.getInt(1)).as("the data is still there").isEqualTo(1);
        }
    }

    private Stream<Path> catalogFiles() throws Exception {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(f -> f.getFileName().toString().startsWith("catalog.")).toList().stream();
        }
    }

    private static void useAndProvokeATraceLine(Path base) throws SQLException {
        try (Connection c = open(base); Statement st = c.createStatement()) {
            st.execute("create table t (id int)");
            st.execute("insert into t values (1)");
            try {
                st.execute("select * from no_such_table");
            } catch (SQLException expected) {
                // H2 writes it to catalog.trace.db
            }
        }
    }

    private static Connection open(Path base) throws SQLException {
        return DriverManager.getConnection("jdbc:h2:file:" + base + ";FILE_LOCK=FS;WRITE_DELAY=0", "sa", "");
    }

    private static String mode(Path p) {
        try {
            return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
