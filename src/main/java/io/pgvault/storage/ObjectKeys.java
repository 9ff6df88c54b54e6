package io.pgvault.storage;

import java.util.regex.Pattern;

/**
 * The keys a repository accepts: segments of letters, digits, '.', '_' and '-', joined by '/', none of them
 * "." or "..", at most 512 characters. The same key means the same place on every backend, and no key can
 * climb out of a local repository's root.
 */
public final class ObjectKeys {

    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._-]{1,255}");

    private ObjectKeys() {
    }

    /** The key itself, or IllegalArgumentException saying what is wrong with it. */
    public static String check(String key) {
        if (key == null || key.isEmpty() || key.length() > 512) {
            throw new IllegalArgumentException("an object key has 1 to 512 characters");
        }
        for (String segment : key.split("/", -1)) {
            if (!SEGMENT.matcher(segment).matches() || segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException("object key '" + key.replaceAll("\\p{Cntrl}", "?") + "' has a "
                        + "segment that is empty, '.' or '..', or holds other characters than letters, digits, '.', '_', '-'");
            }
        }
        return key;
    }

    /** A cluster name as a key segment and path element: only what cluster names may hold, so nothing can traverse. */
    static String checkedCluster(String cluster) {
        if (!cluster.matches("^[a-z][a-z0-9-]{0,62}$")) {
            throw new IllegalArgumentException("not a cluster name: " + cluster);
        }
        return cluster;
    }

    /** A prefix to list: empty, or a key, optionally ending in '/'. */
    /** Whether {@code key} is an object key ({@link #check} accepts it). */
    public static boolean isKey(String key) {
        try {
            check(key);
            return true;
        } catch (IllegalArgumentException notAKey) {
            return false;
        }
    }

    /** A prefix a level is listed below: empty, or a checked prefix ending in '/'. */
    public static String checkLevel(String prefix) {
        if (!prefix.isEmpty() && !prefix.endsWith("/")) {
            throw new IllegalArgumentException("a level is listed below a prefix ending in '/', not '" + prefix + "'");
        }
        return checkPrefix(prefix);
    }

    public static String checkPrefix(String prefix) {
        if (prefix.isEmpty()) {
            return prefix;
        }
        check(prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix);
        return prefix;
    }
}
