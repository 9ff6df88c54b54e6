package io.pgvault.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import java.util.Optional;
import javax.sql.DataSource;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

/**
 * The H2 catalog's files ({@code ./data/catalog.mv.db} and its trace file) hold every cluster, backup and
 * token hash: they are owner-only (0600). H2 creates its files with the process umask (0644), and keeps the
 * mode of a file that exists, so before the datasource opens anything the files are created empty with
 * 0600 (H2 starts a new database in an empty file) and existing ones are set to 0600. The directory is left
 * as it is: other things under {@code ./data} may need to be reached by other OS users (the PostgreSQL user
 * reaches recovery directories below it), so the files, not the directory, are what keeps the catalog
 * private. H2's short-lived temporary files still follow the umask: run pgvault with umask 077 to close those.
 */
@Component
class CatalogFiles implements BeanPostProcessor, EnvironmentAware {

    private static final String[] FILES = {".mv.db", ".trace.db"};

    private volatile boolean done;
    private Environment environment;

    @Override
    public void setEnvironment(Environment environment) {
        this.environment = environment;
    }

    @Override
    public Object postProcessBeforeInitialization(Object bean, String beanName) {
        if (bean instanceof DataSource && !done) {
            done = true;
            h2File(environment.getProperty("spring.datasource.url", "")).ifPresent(CatalogFiles::ownerOnly);
        }
        return bean;
    }

    /** The database file's base path of an embedded H2 file URL ({@code jdbc:h2:[file:]<path>[;...]}). */
    static Optional<Path> h2File(String url) {
        if (!url.toLowerCase(Locale.ROOT).startsWith("jdbc:h2:")) {
            return Optional.empty();
        }
        String name = url.substring("jdbc:h2:".length());
        int options = name.indexOf(';');
        name = options >= 0 ? name.substring(0, options) : name;
        if (name.startsWith("file:")) {
            name = name.substring("file:".length());
        } else if (name.matches("^[a-zA-Z]{2,}:.*")) {
            return Optional.empty(); // mem:, tcp:, ssl:, zip:...: no local file of this process
        }
        if (name.startsWith("~")) {
            name = System.getProperty("user.home") + name.substring(1);
        }
        return name.isBlank() ? Optional.empty() : Optional.of(Path.of(name).toAbsolutePath().normalize());
    }

    /** Creates (empty, 0600) or sets to 0600 the catalog's files next to {@code base}. */
    static void ownerOnly(Path base) {
        Path dir = base.getParent();
        String prefix = base.getFileName() + ".";
        try {
            Files.createDirectories(dir);
            for (String suffix : FILES) {
                try {
                    Files.createFile(dir.resolve(base.getFileName() + suffix),
                            PosixFilePermissions.asFileAttribute(FileTrees.OWNER_ONLY_FILE));
                } catch (FileAlreadyExistsException e) {
                    // an existing catalog: its mode is set below
                }
            }
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, p -> p.getFileName().toString()
                    .startsWith(prefix))) {
                for (Path file : files) {
                    if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                        Files.setPosixFilePermissions(file, FileTrees.OWNER_ONLY_FILE);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make the catalog files under " + dir + " owner-only", e);
        }
    }
}
