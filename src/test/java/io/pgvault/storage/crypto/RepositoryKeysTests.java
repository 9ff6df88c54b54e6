package io.pgvault.storage.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.streamingaead.PredefinedStreamingAeadParameters;
import com.google.crypto.tink.streamingaead.StreamingAeadConfig2026;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A repository's keys: created owner-only when missing, refused when exposed or not a keyset, never shown. */
class RepositoryKeysTests {

    @TempDir
    Path dir;

    private Path ownerOnly(String name, String content) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    private static String keyMaterial(Path keyFile) throws IOException {
        Matcher value = Pattern.compile("\"value\"\\s*:\\s*\"([^\"]+)\"").matcher(Files.readString(keyFile));
        assertThat(value.find()).isTrue();
        return value.group(1);
    }

    @Test
    void aMissingKeyFileIsCreatedOwnerOnlyAndReadBackAsTheSameKey() throws IOException {
        Path keyFile = dir.resolve("keys/main.key");

        RepositoryKeys created = RepositoryKeys.fromFiles(keyFile, List.of());
        RepositoryKeys reread = RepositoryKeys.fromFiles(keyFile, List.of());

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile.getParent())))
                .isEqualTo("rwx------");
        assertThat(created.currentKeyId()).matches("[0-9a-f]{8}").isEqualTo(reread.currentKeyId());
        assertThat(created.keyIds()).containsExactly(created.currentKeyId());
        assertThat(keyFile.getParent()).isDirectoryNotContaining("glob:**.new");
        assertThat(Files.readString(keyFile)).contains("AesGcmHkdfStreamingKey");
    }

    @Test
    void twoProcessesCreatingTheKeyFileAtOnceEndWithOneKey() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            for (int round = 0; round < 25; round++) {
                Path keyFile = dir.resolve("race-" + round + ".key");
                CyclicBarrier start = new CyclicBarrier(4);
                List<Future<String>> ids = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    ids.add(threads.submit(() -> {
                        start.await();
                        return RepositoryKeys.fromFiles(keyFile, List.of()).currentKeyId();
                    }));
                }
                Set<String> distinct = new HashSet<>();
                for (Future<String> id : ids) {
                    distinct.add(id.get());
                }
                assertThat(distinct).as("round " + round).hasSize(1);
                assertThat(RepositoryKeys.fromFiles(keyFile, List.of()).currentKeyId()).isIn(distinct);
            }
        } finally {
            threads.shutdownNow();
        }
        assertThat(dir).isDirectoryNotContaining("glob:**.new");
    }

    @Test
    void aKeyFileThatGroupOrOthersMayReadIsRefused() throws IOException {
        Path keyFile = dir.resolve("main.key");
        RepositoryKeys.fromFiles(keyFile, List.of());
        for (String exposed : List.of("rw-r-----", "rw----r--", "rw--w----")) {
            Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString(exposed));
            assertThatThrownBy(() -> RepositoryKeys.fromFiles(keyFile, List.of()))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining(keyFile.toString())
                    .hasMessageContaining("too open")
                    .hasMessageContaining("chmod 600");
        }
    }

    @Test
    void aFileThatIsNotAKeysetIsRefusedByNameWithoutItsContent() throws IOException {
        List<String> garbage = List.of(
                "s3cr3t-GARBAGE-not-json",
                "{\"primaryKeyId\": \"s3cr3t-GARBAGE\"}",
                "{\"primaryKeyId\": 1, \"key\": [{\"keyData\": {\"value\": \"s3cr3t-GARBAGE\"}}]}",
                "");
        for (String content : garbage) {
            Path keyFile = ownerOnly("garbage.key", content);
            assertThatThrownBy(() -> RepositoryKeys.fromFiles(keyFile, List.of()))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining(keyFile.toString())
                    .hasMessageContaining("encryption-key-file")
                    .hasMessageContaining("Tink keyset")
                    .hasNoCause()
                    .message().doesNotContain("s3cr3t");
        }
    }

    @Test
    void aKeysetOfAnotherKindOrOfSeveralKeysIsRefused() throws Exception {
        var tink = StreamingAeadConfig2026.get();
        KeysetHandle aes128 = KeysetHandle.generateNew(PredefinedStreamingAeadParameters.AES128_GCM_HKDF_1MB, tink);
        Path weak = ownerOnly("aes128.key",
                TinkJsonProtoKeysetFormat.serializeKeyset(aes128, tink, InsecureSecretKeyAccess.get()));
        assertThatThrownBy(() -> RepositoryKeys.fromFiles(weak, List.of()))
                .hasMessageContaining(weak.toString())
                .hasMessageContaining("AES256_GCM_HKDF");

        KeysetHandle two = KeysetHandle.newBuilder()
                .addEntry(KeysetHandle.generateEntryFromParameters(
                        PredefinedStreamingAeadParameters.AES256_GCM_HKDF_1MB).withRandomId().makePrimary())
                .addEntry(KeysetHandle.generateEntryFromParameters(
                        PredefinedStreamingAeadParameters.AES256_GCM_HKDF_1MB).withRandomId())
                .setConfiguration(tink)
                .build();
        Path several = ownerOnly("two.key",
                TinkJsonProtoKeysetFormat.serializeKeyset(two, tink, InsecureSecretKeyAccess.get()));
        assertThatThrownBy(() -> RepositoryKeys.fromFiles(several, List.of()))
                .hasMessageContaining(several.toString())
                .hasMessageContaining("holds 2 keys");
    }

    @Test
    void oldKeyFilesMustExistAndHoldKeysOfTheirOwn() throws IOException {
        Path current = dir.resolve("current.key");
        Path old = dir.resolve("old.key");
        RepositoryKeys.fromFiles(old, List.of());
        RepositoryKeys keys = RepositoryKeys.fromFiles(current, List.of(old));
        assertThat(keys.keyIds()).hasSize(2).startsWith(keys.currentKeyId());

        Path missing = dir.resolve("gone.key");
        assertThatThrownBy(() -> RepositoryKeys.fromFiles(current, List.of(missing)))
                .hasMessageContaining(missing.toString())
                .hasMessageContaining("encryption-old-key-files")
                .hasMessageContaining("does not exist");
        assertThat(missing).doesNotExist();

        Path copy = ownerOnly("copy.key", Files.readString(old));
        assertThatThrownBy(() -> RepositoryKeys.fromFiles(current, List.of(old, copy)))
                .hasMessageContaining(old.toString())
                .hasMessageContaining(copy.toString())
                .hasMessageContaining("same id " + RepositoryKeys.fromFiles(old, List.of()).currentKeyId());
    }

    @Test
    void theCurrentKeyMayComeFromAnEnvironmentVariable() throws IOException {
        Path keyFile = dir.resolve("main.key");
        String fileKeyId = RepositoryKeys.fromFiles(keyFile, List.of()).currentKeyId();

        RepositoryKeys fromEnvironment = RepositoryKeys.fromEnvironment(
                "PGVAULT_REPOSITORIES_MAIN_ENCRYPTION_KEY", Files.readString(keyFile), List.of());
        assertThat(fromEnvironment.currentKeyId()).isEqualTo(fileKeyId);

        assertThatThrownBy(() -> RepositoryKeys.fromEnvironment(
                "PGVAULT_REPOSITORIES_MAIN_ENCRYPTION_KEY", "s3cr3t-GARBAGE", List.of()))
                .hasMessageContaining("environment variable PGVAULT_REPOSITORIES_MAIN_ENCRYPTION_KEY")
                .message().doesNotContain("s3cr3t");
    }

    @Test
    void keyMaterialAppearsInNoTextTheKeysGiveOut() throws IOException {
        Path current = dir.resolve("current.key");
        Path old = dir.resolve("old.key");
        RepositoryKeys.fromFiles(old, List.of());
        RepositoryKeys keys = RepositoryKeys.fromFiles(current, List.of(old));

        String shown = keys + " " + keys.current() + " " + keys.find(keys.currentKeyId()).orElseThrow();
        assertThat(shown)
                .contains(keys.currentKeyId(), current.toString(), old.toString())
                .doesNotContain(keyMaterial(current), keyMaterial(old), "value");
    }
}
