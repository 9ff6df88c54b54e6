package io.pgvault.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretBoxTests {

    @TempDir
    Path dir;

    @Test
    void sealsWithARandomNonceAndOpensWithTheSameKeyOnly() throws Exception {
        Path keyFile = dir.resolve("sub").resolve("pgvault.key");
        SecretBox box = new SecretBox(null, keyFile);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile))).isEqualTo("rw-------");
        String sealed = box.seal("pa'ss\\word");
        assertThat(sealed).startsWith("v2:").doesNotContain("pa'ss");
        assertThat(box.seal("pa'ss\\word")).as("a fresh nonce each time").isNotEqualTo(sealed);
        assertThat(box.open(sealed)).isEqualTo("pa'ss\\word");
        assertThat(new SecretBox(null, keyFile).open(sealed)).as("the same key file, again").isEqualTo("pa'ss\\word");
        assertThat(box.open("written before encryption")).isEqualTo("written before encryption");
        assertThat(box.seal(null)).isNull();

        SecretBox other = new SecretBox("another key", keyFile);
        assertThatThrownBy(() -> other.open(sealed)).hasMessageContaining("cannot be decrypted")
                .hasMessageNotContaining("pa'ss");
        SecretBox fromEnvironment = new SecretBox("another key", dir.resolve("unused.key"));
        assertThat(fromEnvironment.open(other.seal("x"))).isEqualTo("x");
        assertThat(dir.resolve("unused.key")).doesNotExist();
    }

    /** An upgrade: values sealed by the SHA-256-keyed version still open, and are sealed anew as v2. */
    @Test
    void valuesSealedByTheEarlierVersionStillOpen() throws Exception {
        Path keyFile = dir.resolve("pgvault.key");
        SecretBox box = new SecretBox(null, keyFile);
        byte[] fileKey = java.util.Base64.getDecoder().decode(Files.readString(keyFile).strip());
        String v1 = LegacySecretBox.fromKey(fileKey).seal("old secret", new byte[12]);
        assertThat(box.open(v1)).isEqualTo("old secret");
        assertThat(box.seal(box.open(v1))).startsWith("v2:");

        SecretBox passphrase = new SecretBox("a passphrase", keyFile);
        String v1FromPassphrase = LegacySecretBox.fromPassphrase("a passphrase").seal("older", new byte[12]);
        assertThat(passphrase.open(v1FromPassphrase)).isEqualTo("older");
        assertThatThrownBy(() -> box.open(v1FromPassphrase)).hasMessageContaining("cannot be decrypted")
                .hasMessageNotContaining("older");
        assertThatThrownBy(() -> passphrase.open(box.seal("x"))).hasMessageContaining("cannot be decrypted");
        String damaged = passphrase.seal("y");
        assertThatThrownBy(() -> passphrase.open(damaged.substring(0, damaged.length() - 4) + "AAA="))
                .hasMessageContaining("cannot be decrypted");
    }
}
