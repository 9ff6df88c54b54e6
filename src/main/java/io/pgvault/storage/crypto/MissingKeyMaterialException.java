package io.pgvault.storage.crypto;

/**
 * The default repository's key material lacks keys its stored files were encrypted with: pgvault does not
 * start, since everything it would write there goes to a repository whose earlier backups it cannot read.
 * {@link MissingKeyFailureAnalyzer} tells the operator how to fix it.
 */
public final class MissingKeyMaterialException extends IllegalStateException {

    private final String repository;

    public MissingKeyMaterialException(String repository, String reason) {
        super("repository '" + repository + "' (the default one) refuses to write: " + reason);
        this.repository = repository;
    }

    public String repository() {
        return repository;
    }
}
