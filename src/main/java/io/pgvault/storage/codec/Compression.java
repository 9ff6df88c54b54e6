package io.pgvault.storage.codec;

import java.io.IOException;
import java.io.OutputStream;

/**
 * The compression stage of the store's pipeline for one file: a {@link Codec} and the level it writes with. The
 * level matters only on the way in; reading needs only the codec, which the catalog records per file.
 */
public record Compression(Codec codec, int level) {

    /** Stored as is. */
    public static final Compression NONE = new Compression(Codec.NONE, 0);

    /** Wraps {@code out} so that what is written to the result reaches {@code out} encoded; closing closes both. */
    public OutputStream encode(OutputStream out) throws IOException {
        return codec.encode(out, level);
    }
}
