package io.pgvault.backup;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgvault.api.Paging;
import io.pgvault.testing.CatalogSliceTest;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.domain.Page;
import org.springframework.data.jpa.domain.Specification;

/**
 * The backup catalog's queries on the catalog database (H2 here; PostgreSQL in {@link BackupQueriesOnPostgresTests}):
 * a page of the list is newest first with ties in id order (UUIDs compared the same way on both databases), the
 * filters combine, the total counts what matches, a backup's files come back in path order, and the row lock finds
 * its backup.
 */
class BackupQueriesTests extends CatalogSliceTest {

    /** Ids whose order differs between a signed and an unsigned comparison of their first bits. */
    static final UUID LOW = UUID.fromString("00000000-0000-4000-8000-000000000001");
    static final UUID HIGH = UUID.fromString("f0000000-0000-4000-8000-000000000001");

    @Autowired
    BackupRepository backups;

    @BeforeEach
    void clusters() {
        cluster("alpha");
        cluster("beta");
    }

    private Backup backup(UUID id, String cluster, BackupKind kind, Duration ago) {
        BackupSpec spec = BackupSpec.of(kind, kind == BackupKind.DUMP ? "shop" : null,
                kind == BackupKind.DUMP ? DumpFormat.CUSTOM : null, null, null, null, null, null, null, false, false,
                false, false, false, "label of " + id, null, null, null, null, null, null, null);
        return entities.persist(new Backup(id, cluster, spec, "{}", null, "local", NOW.minus(ago)));
    }

    private Backup succeeded(Backup b, VerificationStatus verification) {
        b.start("15.8", "15.8", NOW);
        b.succeed("alpha/x", List.of(new BackupFile("b.dat", 2, "bb"), new BackupFile("a.dat", 1, "aa")), "ab", NOW);
        if (verification != VerificationStatus.UNVERIFIED) {
            b.verified(verification, VerificationLevel.CHECKSUM, "re-read", NOW);
        }
        return b;
    }

    /** The list's filters as {@code BackupCatalog.list} applies them: each one given narrows, null leaves open. */
    private static Specification<Backup> filter(String cluster, BackupKind kind, BackupStatus status,
            VerificationStatus verification) {
        return (root, query, cb) -> cb.and(
                cluster == null ? cb.conjunction() : cb.equal(root.get("cluster"), cluster),
                kind == null ? cb.conjunction() : cb.equal(root.get("kind"), kind),
                status == null ? cb.conjunction() : cb.equal(root.get("status"), status),
                verification == null ? cb.conjunction() : cb.equal(root.get("verificationStatus"), verification));
    }

    private List<UUID> page(Specification<Backup> spec, int page, int size) {
        return backups.findAll(spec, Paging.newestFirst(page, size, "queuedAt")).map(Backup::getId).getContent();
    }

    @Test
    void aPageIsNewestFirstWithTiesInIdOrder() {
        UUID newest = UUID.randomUUID();
        UUID oldest = UUID.randomUUID();
        backup(oldest, "alpha", BackupKind.DUMP, Duration.ofHours(3));
        backup(HIGH, "alpha", BackupKind.DUMP, Duration.ofHours(2));
        backup(LOW, "alpha", BackupKind.DUMP, Duration.ofHours(2));
        backup(newest, "alpha", BackupKind.BASE, Duration.ofHours(1));
        flushAndClear();

        assertThat(page(filter(null, null, null, null), 0, 2)).containsExactly(newest, LOW);
        assertThat(page(filter(null, null, null, null), 1, 2)).containsExactly(HIGH, oldest);
        assertThat(page(filter(null, null, null, null), 2, 2)).isEmpty();
        Page<Backup> first = backups.findAll(filter(null, null, null, null), Paging.newestFirst(0, 3, "queuedAt"));
        assertThat(first.getTotalElements()).isEqualTo(4);
        assertThat(first.getTotalPages()).isEqualTo(2);
    }

    @Test
    void theFiltersCombineAndTheTotalCountsWhatMatches() {
        UUID passed = succeeded(backup(UUID.randomUUID(), "alpha", BackupKind.DUMP, Duration.ofHours(5)),
                VerificationStatus.PASSED).getId();
        UUID failedCheck = succeeded(backup(UUID.randomUUID(), "alpha", BackupKind.DUMP, Duration.ofHours(4)),
                VerificationStatus.FAILED).getId();
        UUID unverified = succeeded(backup(UUID.randomUUID(), "alpha", BackupKind.BASE, Duration.ofHours(3)),
                VerificationStatus.UNVERIFIED).getId();
        Backup broken = backup(UUID.randomUUID(), "alpha", BackupKind.DUMP, Duration.ofHours(2));
        broken.start("15.8", "15.8", NOW);
        broken.fail("pg_dump: error: connection lost", NOW);
        UUID other = succeeded(backup(UUID.randomUUID(), "beta", BackupKind.DUMP, Duration.ofHours(1)),
                VerificationStatus.PASSED).getId();
        flushAndClear();

        assertThat(page(filter("alpha", null, null, null), 0, 10)).hasSize(4).doesNotContain(other);
        assertThat(page(filter("alpha", BackupKind.DUMP, BackupStatus.SUCCEEDED, null), 0, 10))
                .containsExactly(failedCheck, passed);
        assertThat(page(filter(null, BackupKind.DUMP, null, VerificationStatus.PASSED), 0, 10))
                .containsExactly(other, passed);
        assertThat(page(filter("alpha", null, BackupStatus.FAILED, null), 0, 10)).containsExactly(broken.getId());
        assertThat(page(filter("alpha", BackupKind.BASE, null, VerificationStatus.UNVERIFIED), 0, 10))
                .containsExactly(unverified);
        assertThat(backups.count(filter("beta", BackupKind.BASE, null, null))).isZero();
    }

    @Test
    void aBackupsFilesComeBackInPathOrderAndItsLockFindsIt() {
        UUID id = succeeded(backup(UUID.randomUUID(), "alpha", BackupKind.DUMP, Duration.ofMinutes(1)),
                VerificationStatus.PASSED).getId();
        flushAndClear();

        Backup locked = backups.lockById(id).orElseThrow();
        assertThat(locked.getFiles()).extracting(BackupFile::path).containsExactly("a.dat", "b.dat");
        assertThat(locked.getStatus()).isEqualTo(BackupStatus.SUCCEEDED);
        assertThat(locked.getVerificationStatus()).isEqualTo(VerificationStatus.PASSED);
        assertThat(locked.getQueuedAt()).isEqualTo(NOW.minus(Duration.ofMinutes(1)));
        assertThat(locked.getFinishedAt()).isEqualTo(NOW);
        assertThat(backups.lockById(UUID.randomUUID())).isEmpty();
    }
}
