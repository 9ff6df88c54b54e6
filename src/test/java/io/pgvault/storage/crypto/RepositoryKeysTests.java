package io.pgvault.storage.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.streamingaead.PredefinedStreamingAeadParameters;
import com.google.crypto.tink.streamingaead.StreamingAeadConfig2026;
import io.pgvault.storage.ObjectStore;
import io.pgvault.storage.local.LocalObjectStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
    void aKeysetOfAnotherKindIsRefusedAndOneOfSeveralKeysWritesWithItsPrimary() throws Exception {
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
        RepositoryKeys keys = RepositoryKeys.fromFiles(several, List.of());
        assertThat(keys.keyIds()).hasSize(2);
        assertThat(keys.currentKeyId()).isEqualTo(Keysets.keyId(two.getPrimary().getId()));
    }

    @Test
    void aMissingKeyFileIsCreatedOnlyWhileTheRepositoryHoldsNothingEncryptedWithAnUnknownKey() throws IOException {
        ObjectStore stored = new LocalObjectStore(dir.resolve("repository"));
        Path keyFile = dir.resolve("keys/main.key");
        RepositoryKeys first = RepositoryKeys.open(keyFile, List.of(), stored, "pgvault.repositories.main.");
        assertThat(first.refusal()).isEmpty();
        EncryptedObjectStore encrypted = new EncryptedObjectStore(stored, first);
        encrypted.put("shop/DUMP/1/dump.custom", new ByteArrayInputStream("rows".getBytes(StandardCharsets.UTF_8)));
        // health probes' objects are pgvault's own and do not count
        stored.put(".pgvault/probe-x", new ByteArrayInputStream(new byte[] {1}));

        Path aside = Files.move(keyFile, dir.resolve("keys/main.key.aside"));
        RepositoryKeys lost = RepositoryKeys.open(keyFile, List.of(), stored, "pgvault.repositories.main.");
        assertThat(keyFile).as("no new key replaces the lost one").doesNotExist();
        assertThat(lost.refusal()).get().asString().contains(keyFile.toString(), first.currentKeyId(),
                "pgvault.repositories.main.encryption-key-file", "shop/DUMP/1/dump.custom");
        assertThatThrownBy(() -> new EncryptedObjectStore(stored, lost).put("shop/DUMP/2/dump.custom",
                new ByteArrayInputStream(new byte[] {1}))).hasMessageContaining("refusing to write");

        // with the old key named for reading, nothing stored needs a key pgvault lacks: a new key may start
        RepositoryKeys renewed = RepositoryKeys.open(keyFile, List.of(aside), stored, "pgvault.repositories.main.");
        assertThat(renewed.refusal()).isEmpty();
        assertThat(keyFile).exists();
        assertThat(renewed.currentKeyId()).isNotEqualTo(first.currentKeyId());
        try (var in = new EncryptedObjectStore(stored, renewed).get("shop/DUMP/1/dump.custom")) {
            assertThat(in.readAllBytes()).asString(StandardCharsets.UTF_8).isEqualTo("rows");
        }
    }

    @Test
    void rotationAddsANewCurrentKeyToTheFileAndKeepsTheOldOnesForReading() throws IOException {
        ObjectStore stored = new LocalObjectStore(dir.resolve("repository"));
        Path keyFile = dir.resolve("main.key");
        RepositoryKeys keys = RepositoryKeys.open(keyFile, List.of(), stored, "pgvault.repositories.main.");
        EncryptedObjectStore encrypted = new EncryptedObjectStore(stored, keys);
        String before = keys.currentKeyId();
        encrypted.put("a", new ByteArrayInputStream("old".getBytes(StandardCharsets.UTF_8)));
        RepositoryKeys otherInstance = RepositoryKeys.open(keyFile, List.of(), stored, "pgvault.repositories.main.");

        String rotated = keys.rotate();
        assertThat(rotated).isNotEqualTo(before).isEqualTo(keys.currentKeyId());
        encrypted.put("b", new ByteArrayInputStream("new".getBytes(StandardCharsets.UTF_8)));
        assertThat(encrypted.keyIdOf("a")).isEqualTo(before);
        assertThat(encrypted.keyIdOf("b")).isEqualTo(rotated);
        assertThat(Files.readString(keyFile)).doesNotContain("\"" + before + "\"");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile))).isEqualTo("rw-------");

        // another instance sharing the key file reads what the new key wrote, and writes with it from then on
        try (var in = new EncryptedObjectStore(stored, otherInstance).get("b")) {
            assertThat(in.readAllBytes()).asString(StandardCharsets.UTF_8).isEqualTo("new");
        }
        assertThat(otherInstance.currentKeyId()).isEqualTo(rotated);

        // a restart reads both from the one file
        RepositoryKeys reread = RepositoryKeys.open(keyFile, List.of(), stored, "pgvault.repositories.main.");
        assertThat(reread.currentKeyId()).isEqualTo(rotated);
        assertThat(reread.keyIds()).containsExactlyInAnyOrder(before, rotated);
        EncryptedObjectStore again = new EncryptedObjectStore(stored, reread);
        for (String[] object : new String[][] {{"a", "old"}, {"b", "new"}}) {
            try (var in = again.get(object[0])) {
                assertThat(in.readAllBytes()).asString(StandardCharsets.UTF_8).isEqualTo(object[1]);
            }
        }

        String json = Files.readString(keyFile);
        RepositoryKeys inline = RepositoryKeys.fromEnvironment("PGVAULT_X", json, List.of());
        assertThatThrownBy(inline::rotate).isInstanceOf(KeyRotationRefusedException.class)
                .hasMessageContaining("environment variable");
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
