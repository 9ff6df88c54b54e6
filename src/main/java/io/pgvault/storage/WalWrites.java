package io.pgvault.storage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * How a WAL push is written ({@link BackupStorage#storeWal}): whole to a local file first (the content checks
 * itself while it is read, and a push it refuses leaves nothing), then, if the gate lets it, into the repository
 * without ever replacing a stored file: under the file's name when that is free (created in one step), else
 * under a name of its own, {@code name.<uuid>}. Which stored file is the archived one is the catalog's call.
 */
final class WalWrites {

    private WalWrites() {
    }

    /** Into the workspace's WAL directory: a hard link takes the name only if it is free. */
    static BackupStorage.WalStored toDirectory(Path dir, String tempPrefix, String name,
            BackupStorage.WalContent content, BackupStorage.WalGate gate) throws IOException {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(FileTrees.OWNER_ONLY_DIR));
        Path temp = dir.resolve(tempPrefix + UUID.randomUUID());
        try {
            StoredFile pushed = write(temp, name, content);
            if (!gate.proceed()) {
                return new BackupStorage.WalStored(pushed, null, null);
            }
            String storedName = name;
            try {
                // link() fails atomically if the name exists: the first complete push takes the name
                Files.createLink(dir.resolve(name), temp);
            } catch (FileAlreadyExistsException e) {
                storedName = ownName(name);
                Files.createLink(dir.resolve(storedName), temp);
            }
            Fsync.directory(dir);
            return new BackupStorage.WalStored(pushed, storedName, null);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /**
     * Into an object store, through a file in {@code scratch}: created under the file's name where the store can
     * create exclusively and the name is free, else put under a name of its own, so that a store that cannot
     * refuse a second writer never has one push's object overwritten by another's. {@code key}: the object key
     * of a stored name.
     */
    static BackupStorage.WalStored toStore(ObjectStore store, String keyId, Path scratch, UnaryOperator<String> key,
            String name, BackupStorage.WalContent content, BackupStorage.WalGate gate) throws IOException {
        Path temp = scratch.resolve("walpush-" + UUID.randomUUID());
        try {
            StoredFile pushed = write(temp, name, content);
            if (!gate.proceed()) {
                return new BackupStorage.WalStored(pushed, null, null);
            }
            if (store.createsExclusively()) {
                try (InputStream in = Files.newInputStream(temp)) {
                    if (store.create(key.apply(name), in).isPresent()) {
                        return new BackupStorage.WalStored(pushed, name, keyId);
                    }
                }
            }
            String own = ownName(name);
            try (InputStream in = Files.newInputStream(temp)) {
                store.put(key.apply(own), in);
            }
            return new BackupStorage.WalStored(pushed, own, keyId);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** A stored name no other push uses: the file's name and a random suffix. */
    private static String ownName(String name) {
        return name + "." + UUID.randomUUID();
    }

    private static StoredFile write(Path file, String name, BackupStorage.WalContent content) throws IOException {
        try (HashingOutputStream out = new HashingOutputStream(
                FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                        PosixFilePermissions.asFileAttribute(FileTrees.OWNER_ONLY_FILE)), name, n -> { }, f -> { })) {
            content.writeTo(out);
            out.close();
            return new StoredFile(name, out.size(), out.sha256());
        }
    }
}
