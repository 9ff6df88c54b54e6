package io.pgvault.storage.crypto;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * A start-up stopped by {@link MissingKeyMaterialException}, told as the operator fixes it: which key ids are
 * missing and which file should hold them, instead of a bean-creation stack trace.
 */
class MissingKeyFailureAnalyzer extends AbstractFailureAnalyzer<MissingKeyMaterialException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, MissingKeyMaterialException cause) {
        String settings = "pgvault.repositories." + cause.repository() + ".";
        return new FailureAnalysis(cause.getMessage(), "Restore the key file from your copy of it, or name the file"
                + " that holds the missing key in " + settings + "encryption-old-key-files. Do not create a new key:"
                + " it would leave every earlier backup in the repository unreadable. docs/failures.md, \"A missing"
                + " key file\", says more.", cause);
    }
}
