package io.pgvault.wal;

/** WAL that is not whole: the message names the file or the location and what is wrong there. */
public class BrokenWalException extends Exception {

    public BrokenWalException(String message) {
        super(message);
    }
}
