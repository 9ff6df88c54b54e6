package io.pgvault.storage.codec;

import com.github.luben.zstd.RecyclingBufferPool;
import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * How stored bytes differ from the original ones: a stream decorator each way, picked per file from what the
 * catalog recorded for it (a row without a codec, from before codecs, is {@link #NONE}). A codec knows nothing
 * about where the bytes are stored. zstd frames carry their content checksum, so a damaged stored file fails
 * the read that reaches it instead of handing back wrong bytes.
 */
public enum Codec {

    NONE {
        @Override
        public OutputStream encode(OutputStream out, int level) {
            return out;
        }

        @Override
        public InputStream decode(InputStream in) {
            return in;
        }
    },

    ZSTD {
        @Override
        public OutputStream encode(OutputStream out, int level) throws IOException {
            ZstdOutputStream zstd = new ZstdOutputStream(out, RecyclingBufferPool.INSTANCE);
            zstd.setLevel(level);
            zstd.setChecksum(true);
            // worker threads compress 2 MiB jobs while the caller reads and hashes the next: a 16 MiB WAL push
            // takes about a third less time, for a frame under 0.5% larger. Two workers, not one: with one, the
            // caller waited on it for about half of each push (measured: read 25 ms, hash 15 ms, waiting to
            // hand over the next job 50 ms), and the jobs still queued when the body ended ran one after the other
            zstd.setWorkers(2);
            zstd.setJobSize(2 * 1024 * 1024);
            return zstd;
        }

        @Override
        public InputStream decode(InputStream in) throws IOException {
            return new ZstdInputStream(in, RecyclingBufferPool.INSTANCE);
        }
    };

    /** The first bytes of every zstd frame (0xFD2FB528, little-endian). */
    private static final byte[] ZSTD_MAGIC = {0x28, (byte) 0xB5, 0x2F, (byte) 0xFD};

    /** Wraps {@code out} so that what is written to the result reaches {@code out} encoded; closing closes both. */
    public abstract OutputStream encode(OutputStream out, int level) throws IOException;

    /** Wraps stored bytes so that reading the result gives the original bytes; closing closes both. */
    public abstract InputStream decode(InputStream in) throws IOException;

    /** The codec of a catalog entry: its recorded name, null for entries from before codecs (stored as is). */
    public static Codec recorded(String name) {
        return name == null ? NONE : valueOf(name);
    }

    /**
     * The codec of a stored file the catalog has no entry for (a push cut off between storing and recording it),
     * by its first bytes: a zstd frame, or else as is; {@code in} is left where it was. Files the catalog lists
     * are decoded by their recorded codec.
     */
    public static Codec detect(BufferedInputStream in) throws IOException {
        in.mark(ZSTD_MAGIC.length);
        byte[] head = in.readNBytes(ZSTD_MAGIC.length);
        in.reset();
        return Arrays.equals(head, ZSTD_MAGIC) ? ZSTD : NONE;
    }
}
