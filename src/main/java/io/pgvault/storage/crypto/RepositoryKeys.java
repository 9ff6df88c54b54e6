package io.pgvault.storage.crypto;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The encryption keys of one repository: the current key, which encrypts every new file, and the older keys
 * that still decrypt the files written before a rotation. Each key has an id, which the catalog records next
 * to every file it encrypts, so that reading a file picks exactly its key instead of trying them all.
 *
 * <p>A key id is Tink's id of the key as 8 hex digits (e.g. {@code 1a2b3c4d}): drawn at random by Tink when
 * the key was generated, stored in the key file beside the key, and revealing nothing of the key material.
 * Two keys with one id are refused, since a recorded id must name one key.
 *
 * <p>Rotation: generate a new current key file, move the old file's path to {@code encryption-old-key-files};
 * new files then use the new key, old ones still decrypt. A key may be dropped once no stored file records
 * its id. Nothing here holds or shows key material: {@link #toString()} lists ids and where they came from.
 */
public final class RepositoryKeys {

    /** The setting that names the current key file. */
    static final String KEY_FILE_SETTING = "encryption-key-file";

    /** The setting that names the key files kept to read files written before a rotation. */
    static final String OLD_KEY_FILES_SETTING = "encryption-old-key-files";

    private final RepositoryKey current;
    private final Map<String, RepositoryKey> byId;

    private RepositoryKeys(RepositoryKey current, List<RepositoryKey> old) throws IOException {
        List<RepositoryKey> all = new ArrayList<>();
        all.add(current);
        all.addAll(old);
        Map<String, RepositoryKey> keys = new LinkedHashMap<>();
        for (RepositoryKey key : all) {
            RepositoryKey other = keys.putIfAbsent(key.id(), key);
            if (other != null) {
                throw new IOException(other.source() + " and " + key.source() + " hold keys with the same id "
                        + key.id() + ": each key file must hold a different key");
            }
        }
        this.current = current;
        this.byId = Collections.unmodifiableMap(keys);
    }

    /**
     * The keys in {@code keyFile} (created with a new key, owner-only, when it does not exist) and in
     * {@code oldKeyFiles} (which must exist).
     *
     * @throws IOException naming the file, when one is missing, readable by group or others, not a keyset of
     *     one AES-256-GCM-HKDF key, or holds a key id another file holds too
     */
    public static RepositoryKeys fromFiles(Path keyFile, List<Path> oldKeyFiles) throws IOException {
        return new RepositoryKeys(KeyFile.readOrCreate(keyFile, KEY_FILE_SETTING), readOld(oldKeyFiles));
    }

    /**
     * The current key from the value of an environment variable instead of a file, and older keys from files.
     * Which variable (in the style {@code PGVAULT_REPOSITORIES_<NAME>_ENCRYPTION_KEY}) and reading it are the
     * caller's business; {@code variableName} only names it in messages, since the value must never appear.
     *
     * @param keysetJson the variable's value: one keyset in Tink's JSON format, as a key file holds it
     */
    public static RepositoryKeys fromEnvironment(String variableName, String keysetJson, List<Path> oldKeyFiles)
            throws IOException {
        RepositoryKey current = Keysets.parse(keysetJson, "environment variable " + variableName);
        return new RepositoryKeys(current, readOld(oldKeyFiles));
    }

    private static List<RepositoryKey> readOld(List<Path> oldKeyFiles) throws IOException {
        List<RepositoryKey> old = new ArrayList<>();
        for (Path file : oldKeyFiles) {
            old.add(KeyFile.read(file, OLD_KEY_FILES_SETTING));
        }
        return old;
    }

    /** The id of the key that encrypts new files: record it with each file written. */
    public String currentKeyId() {
        return current.id();
    }

    /** The ids of every key configured, the current one first. */
    public Set<String> keyIds() {
        return byId.keySet();
    }

    RepositoryKey current() {
        return current;
    }

    Optional<RepositoryKey> find(String keyId) {
        return Optional.ofNullable(byId.get(keyId));
    }

    @Override
    public String toString() {
        return "RepositoryKeys" + byId.values();
    }
}
