package io.pgvault.cluster;

/**
 * One verdict of a cluster check. {@code detail} says what was found and, when something is wrong, what to
 * change; {@code fix} repeats just the change (the setting, SQL or file to edit, and whether a reload or a
 * restart applies it) so that tools can show it on its own. {@code setting} names the server setting the
 * item is about and {@code value} what the server has in effect, both null where no one setting applies.
 */
public record CheckItem(String name, boolean ok, String detail, String setting, String value, String fix) {

    static CheckItem ok(String name, String detail) {
        return new CheckItem(name, true, detail, null, null, null);
    }

    static CheckItem failed(String name, String problem, String fix) {
        return new CheckItem(name, false, joined(problem, fix), null, null, fix);
    }

    /** A verdict on one server setting; a failure carries its fix. */
    static CheckItem of(String name, String setting, String value, boolean ok, String finding, String fix) {
        return new CheckItem(name, ok, ok ? finding : joined(finding, fix), setting, value, ok ? null : fix);
    }

    private static String joined(String problem, String fix) {
        return fix == null ? problem : problem + ". " + fix;
    }
}
