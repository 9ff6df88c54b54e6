package io.pgvault.storage.crypto;

import io.pgvault.storage.ObjectStore;
import java.io.IOException;
import java.nio.file.Files;
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
 * <p>Rotation without a restart ({@link #rotate}): a new key is added to the key file's keyset and made its
 * primary; the older keys stay in the file, so what they encrypted still decrypts. The file is replaced whole
 * and atomically, the new keyset complete before it takes the name. Rotation by hand still works too: a new
 * key file, the old file's path moved to {@code encryption-old-key-files}.
 *
 * <p>Keys that must not write: when the key material lacks a key that stored files were encrypted with (the
 * key file was lost, and a new one would silently orphan every file), the keys are {@link #refuse refused}:
 * reading with the keys there are still works, writing fails with the reason. Nothing here holds or shows key
 * material: {@link #toString()} lists ids and where they came from.
 */
public final class RepositoryKeys {

    /** The setting that names the current key file. */
    static final String KEY_FILE_SETTING = "encryption-key-file";

    /** The setting that names the key files kept to read files written before a rotation. */
    static final String OLD_KEY_FILES_SETTING = "encryption-old-key-files";

    /** The current key (null when there is none to write with) and every key by id. */
    private record State(RepositoryKey current, Map<String, RepositoryKey> byId) {
    }

    private final Path keyFile;
    private final List<RepositoryKey> oldKeys;
    private volatile State state;
    private volatile String refusal;

    private RepositoryKeys(Path keyFile, List<RepositoryKey> current, List<RepositoryKey> old) throws IOException {
        this.keyFile = keyFile;
        this.oldKeys = List.copyOf(old);
        this.state = state(current, oldKeys);
    }

    private static State state(List<RepositoryKey> current, List<RepositoryKey> old) throws IOException {
        List<RepositoryKey> all = new ArrayList<>(current);
        all.addAll(old);
        Map<String, RepositoryKey> keys = new LinkedHashMap<>();
        for (RepositoryKey key : all) {
            RepositoryKey other = keys.putIfAbsent(key.id(), key);
            if (other != null) {
                throw new IOException(other.source() + " and " + key.source() + " hold keys with the same id "
                        + key.id() + ": each key must be held once");
            }
        }
        return new State(current.isEmpty() ? null : current.get(0), Collections.unmodifiableMap(keys));
    }

    /**
     * The keys of a repository whose current key is in {@code keyFile}. A missing key file is created with a
     * new key only when {@code stored} (the repository's objects as stored, encrypted) holds no object
     * encrypted with a key that {@code oldKeyFiles} lack: otherwise a new key would be used for new files while
     * every earlier one stayed unreadable, so the keys are {@link #refuse refused} with the reason instead.
     *
     * @param settings the repository's setting prefix ({@code pgvault.repositories.<name>.}), for messages
     * @throws IOException naming the file, when one is unreadable, too open, not a keyset of AES-256-GCM-HKDF
     *     keys, or holds a key id another file holds too
     */
    public static RepositoryKeys open(Path keyFile, List<Path> oldKeyFiles, ObjectStore stored, String settings)
            throws IOException {
        List<RepositoryKey> old = readOld(oldKeyFiles);
        if (Files.notExists(keyFile)) {
            Set<String> known = state(List.of(), old).byId().keySet();
            Optional<String> needs = StoredKeyIds.firstUnknown(stored, known);
            if (needs.isPresent()) {
                RepositoryKeys keys = new RepositoryKeys(keyFile, List.of(), old);
                keys.refuse(settings + KEY_FILE_SETTING + ": the key file " + keyFile + " does not exist, but "
                        + needs.get() + ". Restore the key file from your copy (or name the file that holds that"
                        + " key in " + settings + OLD_KEY_FILES_SETTING + "): pgvault creates a new key only for a"
                        + " repository that holds nothing encrypted with a key it lacks, and writes nothing there"
                        + " until then");
                return keys;
            }
            KeyFile.create(keyFile);
        }
        return new RepositoryKeys(keyFile, KeyFile.read(keyFile, KEY_FILE_SETTING), old);
    }

    /**
     * The keys in {@code keyFile} (created with a new key, owner-only, when it does not exist) and in
     * {@code oldKeyFiles} (which must exist). Creates without looking at a repository: for one known to be
     * empty; a repository's keys come from {@link #open}.
     */
    public static RepositoryKeys fromFiles(Path keyFile, List<Path> oldKeyFiles) throws IOException {
        if (Files.notExists(keyFile)) {
            KeyFile.create(keyFile);
        }
        return new RepositoryKeys(keyFile, KeyFile.read(keyFile, KEY_FILE_SETTING), readOld(oldKeyFiles));
    }

    /**
     * The current key from the value of an environment variable instead of a file, and older keys from files.
     * Which variable (in the style {@code PGVAULT_REPOSITORIES_<NAME>_ENCRYPTION_KEY}) and reading it are the
     * caller's business; {@code variableName} only names it in messages, since the value must never appear.
     * Such keys are not rotated by pgvault: it cannot change the variable.
     *
     * @param keysetJson the variable's value: a keyset in Tink's JSON format, as a key file holds it
     */
    public static RepositoryKeys fromEnvironment(String variableName, String keysetJson, List<Path> oldKeyFiles)
            throws IOException {
        List<RepositoryKey> current = Keysets.parse(keysetJson, "environment variable " + variableName);
        return new RepositoryKeys(null, current, readOld(oldKeyFiles));
    }

    private static List<RepositoryKey> readOld(List<Path> oldKeyFiles) throws IOException {
        List<RepositoryKey> old = new ArrayList<>();
        for (Path file : oldKeyFiles) {
            old.addAll(KeyFile.read(file, OLD_KEY_FILES_SETTING));
        }
        return old;
    }

    /**
     * Adds a new key to the key file and makes it the current one; the keys before it stay for reading.
     *
     * @return the new key's id
     * @throws KeyRotationRefusedException when the current key is not from a file pgvault may write, or the keys
     *     are refused
     */
    public synchronized String rotate() throws IOException {
        if (refusal != null) {
            throw new KeyRotationRefusedException("the keys are refused, rotation would not help: " + refusal);
        }
        if (keyFile == null) {
            throw new KeyRotationRefusedException("the current key comes from an environment variable, which pgvault"
                    + " cannot change: put a new keyset there and the old one's file in " + OLD_KEY_FILES_SETTING);
        }
        String source = "key file " + keyFile + " (" + KEY_FILE_SETTING + ")";
        String next = Keysets.withNewPrimary(KeyFile.readJson(keyFile, KEY_FILE_SETTING), source);
        List<RepositoryKey> keys = Keysets.parse(next, source);
        State rotated = state(keys, oldKeys);
        KeyFile.replace(keyFile, next);
        state = rotated;
        return rotated.current().id();
    }

    /**
     * Removes an older key from the key file (replaced atomically, as by {@link #rotate}); the caller has made
     * sure that nothing stored needs it any more. Answers false when no key has that id.
     *
     * @throws KeyRotationRefusedException when it is the current key, or comes from elsewhere than the key file
     */
    public synchronized boolean remove(String keyId) throws IOException {
        if (!state.byId().containsKey(keyId)) {
            return false;
        }
        if (keyId.equals(currentKeyId())) {
            throw new KeyRotationRefusedException("key " + keyId + " is the current key, which encrypts every new file:"
                    + " rotate first");
        }
        if (keyFile == null || oldKeys.stream().anyMatch(k -> k.id().equals(keyId))) {
            throw new KeyRotationRefusedException("key " + keyId + " does not come from the key file (" + KEY_FILE_SETTING
                    + ") but from " + state.byId().get(keyId).source() + ", which pgvault does not change: remove it "
                    + "there and restart");
        }
        String source = "key file " + keyFile + " (" + KEY_FILE_SETTING + ")";
        String next = Keysets.without(KeyFile.readJson(keyFile, KEY_FILE_SETTING), source, keyId);
        State removed = state(Keysets.parse(next, source), oldKeys);
        KeyFile.replace(keyFile, next);
        state = removed;
        return true;
    }

    /** From now on every write fails with {@code reason}; reads go on with the keys there are. */
    public void refuse(String reason) {
        this.refusal = reason;
    }

    /** Why these keys must not write, if they must not. */
    public Optional<String> refusal() {
        return Optional.ofNullable(refusal);
    }

    /** Where the current key comes from (a file or an environment variable), for messages; never the key. */
    public String currentSource() {
        State s = state;
        return s.current() != null ? s.current().source()
                : keyFile != null ? "key file " + keyFile + " (" + KEY_FILE_SETTING + ", missing)" : "nowhere";
    }

    /** The id of the key that encrypts new files: record it with each file written; null when there is none. */
    public String currentKeyId() {
        RepositoryKey current = state.current();
        return current == null ? null : current.id();
    }

    /** The ids of every key configured, the current one first. */
    public Set<String> keyIds() {
        return state.byId().keySet();
    }

    /** The key to write with, unless writing is refused. */
    RepositoryKey current() throws IOException {
        String refused = refusal;
        RepositoryKey current = state.current();
        if (refused != null || current == null) {
            throw new IOException("refusing to write: " + (refused != null ? refused : "no current key"));
        }
        return current;
    }

    /**
     * The key with that id. One not known here is looked for in the key file again before it counts as missing:
     * another instance sharing the file may have rotated, and its new key (then current here too) is there.
     */
    Optional<RepositoryKey> find(String keyId) {
        RepositoryKey key = state.byId().get(keyId);
        if (key == null && keyFile != null && refusal == null) {
            key = reread().byId().get(keyId);
        }
        return Optional.ofNullable(key);
    }

    private synchronized State reread() {
        try {
            state = state(KeyFile.read(keyFile, KEY_FILE_SETTING), oldKeys);
        } catch (IOException e) {
            // the file as it was read at start-up stays in use; the caller reports the key as missing
        }
        return state;
    }

    @Override
    public String toString() {
        return "RepositoryKeys" + state.byId().values();
    }
}
