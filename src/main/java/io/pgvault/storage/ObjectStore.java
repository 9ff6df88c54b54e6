package io.pgvault.storage;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;

/**
 * Where a repository keeps its objects: a flat space of keys such as {@code cluster/BASE/<id>/base.tar.zst}.
 * Implemented once per backend (local disk, S3); codecs (compression, encryption) wrap the streams around
 * it, and a backend never knows about them. One contract test suite runs against every backend.
 *
 * <p>{@link #put} is all or nothing: the object is visible under its key only once every byte is durable
 * (local: written, fsynced and renamed; S3: the multipart upload completed), and a failed or interrupted
 * put leaves no object and, as far as the backend can be reached, no parts behind.
 */
public interface ObjectStore {

    /** Stores everything {@code content} yields under {@code key}, replacing an object there. */
    StoredObject put(String key, InputStream content) throws IOException;

    /**
     * Stores like {@link #put}, but only if no object has the key: empty, and nothing stored, when one has. The
     * check and the store are one step on the server (local: a hard link; S3: {@code If-None-Match: *} on the
     * PUT or the multipart completion), so of concurrent creates exactly one wins. Only where
     * {@link #createsExclusively} says so: a backend that ignores the condition would silently replace.
     */
    default Optional<StoredObject> create(String key, InputStream content) throws IOException {
        throw new UnsupportedOperationException(describe() + " cannot create an object only if it is absent");
    }

    /**
     * Creates like {@link #create}, for many small objects written in a row whose names only matter once a later
     * object refers to them (the block store's blocks, then a manifest): the content is durable before the name
     * exists, and the name is durable by the time any later {@link #put}, {@link #create} or {@link #delete} on a store
     * of the same backend returns. After a crash such an object is whole or absent, never partial. Local: the
     * directory's fsync waits for that next write, which does one per directory for all of them; elsewhere the same
     * as {@link #create}.
     */
    default Optional<StoredObject> createNameSyncedLater(String key, InputStream content) throws IOException {
        return create(key, content);
    }

    /** Whether {@link #create} is honoured here (an S3-compatible server is asked once, by trying it). */
    default boolean createsExclusively() throws IOException {
        return false;
    }

    /** The keys that begin with {@code prefix} whose objects were last written before {@code before}, sorted. */
    default List<String> listWrittenBefore(String prefix, java.time.Instant before) throws IOException {
        throw new UnsupportedOperationException(describe() + " does not list objects by age");
    }

    /** The object's bytes; {@link java.nio.file.NoSuchFileException} naming the key when there is none. */
    InputStream get(String key) throws IOException;

    /** The object's size, or empty when there is none. */
    Optional<ObjectInfo> stat(String key) throws IOException;

    /**
     * As {@link #stat}, for an object that a later object will refer to instead of being written again: where names
     * are synced later ({@link #createNameSyncedLater}), a name found here is made durable with them, so that one
     * created but not yet synced before a restart cannot be referred to and then lost.
     */
    default Optional<ObjectInfo> statToReference(String key) throws IOException {
        return stat(key);
    }

    /** The keys that begin with {@code prefix}, sorted. */
    List<String> list(String prefix) throws IOException;

    /**
     * One level below {@code prefix} (empty, or ending in '/'), sorted: the keys directly there, and for deeper
     * keys the next part of their path with its '/' ({@code "main/"}), once. The default lists every key below;
     * a store that can list one level (a directory, S3's delimiter) reads only that level.
     */
    default List<String> listLevel(String prefix) throws IOException {
        java.util.TreeSet<String> level = new java.util.TreeSet<>();
        for (String key : list(ObjectKeys.checkLevel(prefix))) {
            int slash = key.indexOf('/', prefix.length());
            level.add(slash < 0 ? key : key.substring(0, slash + 1));
        }
        return List.copyOf(level);
    }

    /** Removes the object; a missing one is no error. */
    void delete(String key) throws IOException;

    /**
     * Removes what interrupted puts left behind and is older than {@code olderThanSeconds} (S3: incomplete
     * multipart uploads whose abort could not reach the server; local: temporary files). Returns how many.
     */
    int sweepIncomplete(long olderThanSeconds) throws IOException;

    /** Where this is, for logs and answers: never a credential. */
    String describe();

    /** What {@link #put} stored: the byte count and the SHA-256 (hex) of exactly those bytes. */
    record StoredObject(String key, long size, String sha256) {
    }

    record ObjectInfo(String key, long size) {
    }
}
