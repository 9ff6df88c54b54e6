package io.pgvault.storage.crypto;

import io.pgvault.storage.FileTrees;
import io.pgvault.storage.Fsync;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A file that holds one keyset in Tink's cleartext JSON format, protected like an SSH private key: by being
 * readable by its owner only. A file that group or others may read is refused rather than repaired, as ssh
 * does, because by then the key may already have leaked and only its owner can judge that.
 *
 * <p>A missing current key file is created (only where nothing stored needs a key pgvault lacks), atomically:
 * the new key is written to an owner-only temporary file in the same directory (mode 0600 from its creation,
 * never wider for a moment), synced, and then hard-linked to its name. A link, unlike a rename, fails when the name exists, so when two processes
 * start at once exactly one key wins and the other process reads it instead of silently replacing it; a
 * rename would let the second key overwrite the first after the first process had already encrypted with it.
 * A rotation, by contrast, replaces the file with a rename ({@link #replace}): the new keyset holds the old
 * keys too, so nothing written before is lost whichever keyset a reader sees.
 */
final class KeyFile {

    private static final Logger log = LoggerFactory.getLogger(KeyFile.class);

    /** Far above a one-key keyset (about 300 bytes): stops a mistyped path to a large file early. */
    private static final int MAX_BYTES = 64 * 1024;

    private static final Set<PosixFilePermission> GROUP_OR_OTHERS = Set.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private KeyFile() {
    }

    /**
     * The keys in {@code file}, which must exist, its primary first; {@code setting} names the setting that named
     * the file.
     */
    static List<RepositoryKey> read(Path file, String setting) throws IOException {
        String source = "key file " + file + " (" + setting + ")";
        String json;
        try {
            json = readOwnerOnly(file, source);
        } catch (NoSuchFileException e) {
            throw new IOException(source + " does not exist");
        }
        return Keysets.parse(json, source);
    }

    /** The text of {@code file}, refused as {@link #read} refuses it. */
    static String readJson(Path file, String setting) throws IOException {
        return readOwnerOnly(file, "key file " + file + " (" + setting + ")");
    }

    /**
     * Replaces the keyset in {@code file} by {@code json}, atomically: the new keyset is written owner-only
     * beside it and synced before it takes the name, so a crash leaves the old keyset or the new one, whole.
     */
    static void replace(Path file, String json) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Path temporary = Files.createTempFile(dir, "." + file.getFileName() + ".", ".new",
                PosixFilePermissions.asFileAttribute(FileTrees.OWNER_ONLY_FILE));
        try {
            Files.writeString(temporary, json, StandardCharsets.UTF_8);
            Fsync.file(temporary);
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Fsync.directory(dir);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    private static String readOwnerOnly(Path file, String source) throws IOException {
        PosixFileAttributeView posix = Files.getFileAttributeView(file, PosixFileAttributeView.class);
        if (posix != null) {
            Set<PosixFilePermission> permissions = posix.readAttributes().permissions();
            if (permissions.stream().anyMatch(GROUP_OR_OTHERS::contains)) {
                throw new IOException("permissions " + PosixFilePermissions.toString(permissions) + " of " + source
                        + " are too open: a key file must be readable by its owner only (chmod 600 " + file + ")");
            }
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] bytes = in.readNBytes(MAX_BYTES + 1);
            if (bytes.length > MAX_BYTES) {
                throw new IOException(source + " is larger than " + MAX_BYTES + " bytes: not a key file");
            }
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    /**
     * Creates {@code file} with a new key unless it exists (then another process made it first and its key is
     * the one to use). Only for a repository that holds nothing encrypted with a key pgvault lacks: see
     * {@link RepositoryKeys#open}.
     */
    static void create(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (Files.notExists(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(FileTrees.OWNER_ONLY_DIR));
        }
        Path temporary = Files.createTempFile(dir, "." + file.getFileName() + ".", ".new",
                PosixFilePermissions.asFileAttribute(FileTrees.OWNER_ONLY_FILE));
        try {
            Files.writeString(temporary, Keysets.generateJson(), StandardCharsets.UTF_8);
            Fsync.file(temporary);
            Files.createLink(file, temporary);
            Fsync.directory(dir);
            log.info("Created key file {} with a new encryption key: back it up, the repository's encrypted files"
                    + " cannot be read without it", file);
        } catch (FileAlreadyExistsException e) {
            // another process created it first: its key is the repository's key, this one was never used
        } finally {
            Files.deleteIfExists(temporary);
        }
    }
}
