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
        assertThat(sealed).startsWith("v1:").doesNotContain("pa'ss");
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
}
