package io.pgvault.storage.crypto;

import com.google.crypto.tink.StreamingAead;
import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;

/**
 * Tink's decrypting stream with its failures told apart: an {@link IOException} from the stored bytes'
 * own stream (a network or disk error, worth a retry) is thrown as it was, and any other failure is an
 * {@link AuthenticationFailedException}. Tink cannot tell them apart itself: while it picks the key for a
 * stream it catches both and reports "no matching key", so the source's failures are recorded on the way.
 */
final class AuthenticatedInputStream extends InputStream {

    private final Source source;
    private final InputStream plaintext;

    AuthenticatedInputStream(StreamingAead aead, InputStream ciphertext, byte[] associatedData) throws IOException {
        this.source = new Source(ciphertext);
        try {
            this.plaintext = aead.newDecryptingStream(source, associatedData);
        } catch (GeneralSecurityException e) {
            throw new AuthenticationFailedException(e);
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n == 1 ? one[0] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        try {
            return plaintext.read(b, off, len);
        } catch (IOException e) {
            throw sourceFailureOr(e);
        }
    }

    @Override
    public int available() throws IOException {
        return plaintext.available();
    }

    @Override
    public void close() throws IOException {
        plaintext.close();
    }

    private IOException sourceFailureOr(IOException e) {
        return source.failure != null ? source.failure : new AuthenticationFailedException(e);
    }

    /** The stored bytes, remembering the first exception they threw. */
    private static final class Source extends InputStream {

        private final InputStream in;
        private IOException failure;

        Source(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            try {
                return in.read();
            } catch (IOException e) {
                throw remember(e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return in.read(b, off, len);
            } catch (IOException e) {
                throw remember(e);
            }
        }

        @Override
        public void close() throws IOException {
            in.close();
        }

        private IOException remember(IOException e) {
            if (failure == null) {
                failure = e;
            }
            return e;
        }
    }
}
