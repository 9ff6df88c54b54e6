package io.pgvault.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgvault.api.InvalidRequestException;
import io.pgvault.backup.web.BackupRequest;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.json.JsonTest;
import tools.jackson.databind.json.JsonMapper;

/**
 * The backup spec is one record per kind now, but its JSON is what the one wide record wrote: the catalog holds
 * entries and schedules written before the split, and clients read {@code options} and a schedule's {@code backup}.
 * Run with the application's own JSON settings ({@code @JsonTest}: unknown properties refused, nulls left out), so
 * that what is checked here is what the server stores and answers. {@link OldSpec} is the record as it was,
 * copied here as the reference.
 */
@JsonTest
class BackupSpecJsonTests {

    /** BackupSpec before the split, as it was in main (85df04d..80347e5): every option of every kind. */
    record OldSpec(BackupKind kind, String database, DumpFormat format, Integer compression, Integer jobs,
            List<String> tables, List<String> excludeTables, List<String> schemas, List<String> excludeSchemas,
            boolean schemaOnly, boolean dataOnly, boolean globalsOnly, boolean noOwner, boolean noPrivileges,
            String label, CompressionMethod compressionMethod, CompressionSite compressAt, WalMethod walMethod,
            CheckpointMode checkpoint, Integer maxRate, Integer compressionWorkers, BackupType type) {
        OldSpec {
            tables = tables == null ? List.of() : List.copyOf(tables);
            excludeTables = excludeTables == null ? List.of() : List.copyOf(excludeTables);
            schemas = schemas == null ? List.of() : List.copyOf(schemas);
            excludeSchemas = excludeSchemas == null ? List.of() : List.copyOf(excludeSchemas);
        }
    }

    @Autowired
    JsonMapper json;

    /** Validated specs of each kind, as the old record held them, and as the new records do. */
    private static final List<OldSpec> OLD = List.of(
            new OldSpec(BackupKind.DUMP, "shop", DumpFormat.DIRECTORY, 6, 4, List.of("public.orders"), List.of("log*"),
                    List.of("public"), List.of("tmp"), false, true, false, true, true, "before-migration", null, null,
                    null, null, null, null, null),
            new OldSpec(BackupKind.DUMP, "shop", DumpFormat.CUSTOM, null, null, null, null, null, null, false, false,
                    false, false, false, null, null, null, null, null, null, null, null),
            new OldSpec(BackupKind.DUMP_ALL, null, DumpFormat.PLAIN, 5, null, null, null, null, null, false, false,
                    true, true, false, "roles", null, null, null, null, null, null, null),
            new OldSpec(BackupKind.BASE, null, null, 3, null, null, null, null, null, false, false, false, false,
                    false, "nightly", CompressionMethod.ZSTD, CompressionSite.SERVER, WalMethod.STREAM,
                    CheckpointMode.SPREAD, 1024, 4, null),
            new OldSpec(BackupKind.BASE, null, DumpFormat.BLOCKS, null, null, null, null, null, null, false, false,
                    false, false, false, null, CompressionMethod.NONE, CompressionSite.CLIENT, WalMethod.FETCH,
                    CheckpointMode.FAST, null, null, BackupType.INCR));

    private static BackupSpec now(OldSpec o) {
        return BackupSpec.of(o.kind(), o.database(), o.format(), o.compression(), o.jobs(), o.tables(),
                o.excludeTables(), o.schemas(), o.excludeSchemas(), o.schemaOnly(), o.dataOnly(), o.globalsOnly(),
                o.noOwner(), o.noPrivileges(), o.label(), o.compressionMethod(), o.compressAt(), o.walMethod(),
                o.checkpoint(), o.maxRate(), o.compressionWorkers(), o.type());
    }

    @Test
    void eachKindIsWrittenAsTheOneRecordWroteIt() {
        for (OldSpec old : OLD) {
            BackupSpec spec = now(old);
            assertThat(spec.kind()).isEqualTo(old.kind());
            assertThat(json.writeValueAsString(spec)).as(old.kind() + " " + old.format())
                    .isEqualTo(json.writeValueAsString(old));
        }
        assertThat(now(OLD.get(0))).isInstanceOf(DumpSpec.class);
        assertThat(now(OLD.get(2))).isInstanceOf(DumpAllSpec.class);
        assertThat(now(OLD.get(3))).isInstanceOf(BaseSpec.class);
    }

    @Test
    void whatTheOneRecordStoredReadsAsItsKindsRecord() {
        for (OldSpec old : OLD) {
            String stored = json.writeValueAsString(old);
            BackupSpec read = json.readValue(stored, BackupSpec.class);
            assertThat(read).as(stored).isEqualTo(now(old));
            assertThat(json.writeValueAsString(read)).isEqualTo(stored);
        }
        // as a schedule's spec was stored (literal JSON, written by the old record with nulls left out)
        BackupSpec base = json.readValue("""
                {"kind":"BASE","tables":[],"excludeTables":[],"schemas":[],"excludeSchemas":[],"schemaOnly":false,\
                "dataOnly":false,"globalsOnly":false,"noOwner":false,"noPrivileges":false,"compressAt":"CLIENT",\
                "walMethod":"STREAM","checkpoint":"FAST"}""", BackupSpec.class);
        assertThat(base).isEqualTo(new BaseSpec(null, null, null, null, CompressionSite.CLIENT, WalMethod.STREAM,
                CheckpointMode.FAST, null, null, null));
        BackupSpec dump = json.readValue("""
                {"kind":"DUMP","database":"shop","format":"CUSTOM","tables":[],"excludeTables":[],"schemas":[],\
                "excludeSchemas":[],"schemaOnly":false,"dataOnly":false,"globalsOnly":false,"noOwner":false,\
                "noPrivileges":false}""", BackupSpec.class);
        assertThat(dump).isEqualTo(new DumpSpec("shop", DumpFormat.CUSTOM, null, null, null, null, null, null, false,
                false, false, false, null));
        // and by a writer that kept nulls
        BackupSpec all = json.readValue("""
                {"kind":"DUMP_ALL","database":null,"format":"PLAIN","compression":null,"jobs":null,"tables":[],\
                "schemaOnly":false,"dataOnly":false,"globalsOnly":true,"noOwner":false,"noPrivileges":false,\
                "compressionMethod":null,"walMethod":null,"type":null,"label":"roles"}""", BackupSpec.class);
        assertThat(all).isEqualTo(new DumpAllSpec(DumpFormat.PLAIN, null, false, false, true, false, false, "roles"));
    }

    /** JSON that the one record refused to read is refused now, and what it read, the kind's record reads alike. */
    @Test
    void storedJsonGetsTheAnswerTheOneRecordGave() {
        String booleans = "\"schemaOnly\":false,\"dataOnly\":false,\"globalsOnly\":false,\"noOwner\":false,"
                + "\"noPrivileges\":false";
        sameAnswer("{\"kind\":\"DUMP\",\"database\":\"shop\",\"bogus\":1," + booleans + "}");
        sameAnswer("{\"kind\":\"DUMP\",\"database\":\"shop\"}");
        sameAnswer("{\"kind\":\"BASE\",\"walMethod\":\"SOMETIMES\"," + booleans + "}");
        sameAnswer("{\"kind\":\"BASE\",\"maxRate\":\"fast\"," + booleans + "}");
        sameAnswer("{\"kind\":\"DUMP_ALL\",\"format\":\"PLAIN\",\"compression\":6," + booleans + "}");
        sameAnswer("{\"kind\":\"BASE\",\"compressionMethod\":\"ZSTD\",\"compressionWorkers\":8," + booleans
                + "}");
    }

    private void sameAnswer(String stored) {
        OldSpec old;
        try {
            old = json.readValue(stored, OldSpec.class);
        } catch (RuntimeException refused) {
            assertThatThrownBy(() -> json.readValue(stored, BackupSpec.class)).as(stored)
                    .isInstanceOf(refused.getClass());
            return;
        }
        assertThat(json.readValue(stored, BackupSpec.class)).as(stored).isEqualTo(now(old));
    }

    /** Requests (a backup's body, a schedule's backup) naming another kind's option get the answer they always got. */
    @Test
    void aRequestThatNamesAnotherKindsOptionGetsTodaysAnswer() {
        refused("{\"kind\": \"DUMP\", \"database\": \"shop\", \"walMethod\": \"STREAM\"}", "compressionMethod");
        refused("{\"kind\": \"DUMP\", \"database\": \"shop\", \"compressionWorkers\": 2}", "compressionWorkers");
        refused("{\"kind\": \"DUMP_ALL\", \"maxRate\": 100}", "compressionMethod");
        refused("{\"kind\": \"DUMP\", \"database\": \"shop\", \"type\": \"INCR\"}", "type");
        refused("{\"kind\": \"DUMP\", \"database\": \"shop\", \"globalsOnly\": true}", "globalsOnly");
        refused("{\"kind\": \"DUMP_ALL\", \"database\": \"shop\"}", "database");
        refused("{\"kind\": \"DUMP_ALL\", \"jobs\": 2}", "jobs");
        refused("{\"kind\": \"DUMP_ALL\", \"excludeSchemas\": [\"tmp\"]}", "tables");
        refused("{\"kind\": \"BASE\", \"database\": \"shop\"}", "database");
        refused("{\"kind\": \"BASE\", \"noOwner\": true}", "kind");
        refused("{\"kind\": \"BASE\", \"tables\": [\"t\"]}", "kind");
        refused("{\"kind\": \"BASE\", \"schemaOnly\": true, \"dataOnly\": true}", "dataOnly");
        refused("{\"database\": \"shop\"}", "kind");
        // what was accepted (a default value, an empty list, a null) still is, and makes the same spec
        assertThat(request("{\"kind\": \"DUMP\", \"database\": \"shop\", \"globalsOnly\": false, \"walMethod\": null}"))
                .isEqualTo(request("{\"kind\": \"DUMP\", \"database\": \"shop\"}"));
        assertThat(request("{\"kind\": \"BASE\", \"tables\": [], \"noOwner\": false, \"jobs\": null}"))
                .isEqualTo(new BaseSpec(null, null, null, null, null, null, null, null, null, null));
        assertThat(request("{\"kind\": \"DUMP_ALL\", \"schemas\": [], \"globalsOnly\": true}"))
                .isEqualTo(new DumpAllSpec(null, null, false, false, true, false, false, null));
    }

    private BackupSpec request(String body) {
        return json.readValue(body, BackupRequest.class).toSpec();
    }

    private void refused(String body, String field) {
        assertThatThrownBy(() -> BackupSpecValidator.validate(request(body))).as(body)
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo(field));
    }
}
