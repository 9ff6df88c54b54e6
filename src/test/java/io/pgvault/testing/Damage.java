package io.pgvault.testing;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;

/** Damage done to stored files behind pgvault's back, as a disk or an operator might. */
public final class Damage {

    private Damage() {
    }

    /** Flips the bits of one byte in the middle of the file. */
    public static void flipAByte(Path file) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            long at = raf.length() / 2;
            raf.seek(at);
            int b = raf.read();
            raf.seek(at);
            raf.write(b ^ 0x5a);
        }
    }
}
