package io.pgvault.backup.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.ArgumentMatchers.isNull;
import static org.mockito.BDDMockito.given;
import static org.mockito.BDDMockito.then;
import static org.mockito.Mockito.atLeastOnce;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import io.pgvault.api.ConflictException;
import io.pgvault.api.InvalidRequestException;
import io.pgvault.api.NotFoundException;
import io.pgvault.api.WebSliceTest;
import io.pgvault.backup.BackupKind;
import io.pgvault.backup.BackupSpec;
import io.pgvault.job.JobStatus;
import io.pgvault.job.JobType;
import io.pgvault.job.JobView;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;

/**
 * The backup catalog's endpoints (backups, verifications, copies, contents, downloads, restores) in the web slice:
 * a body or parameter of the wrong form is refused with a problem that names the field and the form it needs,
 * before any service is asked (so nothing starts); a role too small is refused before the body is read; and the
 * services' refusals come out as their problems.
 */
class BackupWebTests extends WebSliceTest {

    static final String BACKUPS = "/api/v1/clusters/shop/backups";
    static final UUID ID = UUID.fromString("0b6f3c1e-9a9e-4f55-a2a1-6f0e0c1d2e3f");

    @Test
    void aBackupRequestThatCannotBeReadNamesTheFieldAndStartsNothing() throws Exception {
        send(OPERATOR, post(BACKUPS, "{\"kind\": \"DUMP\", \"database\": ")).andExpect(malformed("JSON"));
        send(OPERATOR, post(BACKUPS, "")).andExpect(malformed("the request body is missing or is not valid JSON"));
        send(OPERATOR, post(BACKUPS, "[1, 2]")).andExpect(malformed(""));
        send(OPERATOR, post(BACKUPS, "{\"kind\": \"DUMP\", \"database\": \"x\", \"databse\": \"y\"}"))
                .andExpect(malformed("unknown field 'databse'"));
        send(OPERATOR, post(BACKUPS, "{\"kind\": \"DUMP\", \"database\": \"x\", \"jobs\": \"many\"}"))
                .andExpect(malformed("field 'jobs': expected a whole number"));
        send(OPERATOR, post(BACKUPS, "{\"kind\": \"SNAPSHOT\"}")).andExpect(malformed("field 'kind': expected one of DUMP"));
        // an enum is its name: {"kind": 0} is not DUMP
        send(OPERATOR, post(BACKUPS, "{\"kind\": 0, \"database\": \"x\"}")).andExpect(malformed("field 'kind'"));
        send(OPERATOR, post(BACKUPS, "{\"kind\": \"DUMP\", \"database\": \"x\", \"tables\": \"t\"}"))
                .andExpect(malformed("field 'tables': expected a JSON array"));
        send(OPERATOR, post(BACKUPS, "{\"kind\": \"BASE\", \"compressionWorkers\": \"many\"}"))
                .andExpect(malformed("field 'compressionWorkers'"));
        verifyNoInteractions(backups);
    }

    @Test
    void aReadableRequestGoesToTheServiceAndAnswers202WithTheJob() throws Exception {
        JobView job = new JobView(UUID.randomUUID(), JobType.BACKUP, JobStatus.QUEUED, "shop", ID, "queued", 0, null,
                NOW, null, null, null, null, null, null);
        given(backups.start(eq("shop"), any(BackupSpec.class))).willReturn(job);
        send(OPERATOR, post(BACKUPS, "{\"kind\": \"DUMP\", \"database\": \"shop db\", \"format\": \"CUSTOM\"}"))
                .andExpect(status().isAccepted())
                .andExpect(header().string("Location", "/api/v1/jobs/" + job.id()))
                .andExpect(jsonPath("$.status").value("QUEUED"))
                .andExpect(jsonPath("$.backupId").value(ID.toString()));
        ArgumentCaptor<BackupSpec> spec = ArgumentCaptor.forClass(BackupSpec.class);
        then(backups).should().start(eq("shop"), spec.capture());
        assertThat(spec.getValue().kind()).isEqualTo(BackupKind.DUMP);
        assertThat(spec.getValue().database()).isEqualTo("shop db");
    }

    @Test
    void theServicesRefusalsAreTheirProblems() throws Exception {
        given(backups.start(eq("shop"), any(BackupSpec.class)))
                .willThrow(new InvalidRequestException("format", "jobs needs format DIRECTORY"));
        send(OPERATOR, post(BACKUPS, "{\"kind\": \"DUMP\", \"database\": \"x\", \"jobs\": 4}"))
                .andExpect(invalidField("format", "jobs needs format DIRECTORY"));
        given(catalog.get(ID)).willThrow(new NotFoundException("no backup " + ID));
        send(VIEWER, get("/api/v1/backups/" + ID)).andExpect(problem(404, "Not found", ID.toString()));
        given(lifecycle.delete(ID, false)).willThrow(new ConflictException("backup " + ID + " is pinned"));
        send(ADMIN, delete("/api/v1/backups/" + ID)).andExpect(problem(409, "Conflict", "pinned"));
        given(copies.start(ID, "nowhere")).willThrow(new InvalidRequestException("repository", "no repository nowhere"));
        send(OPERATOR, post("/api/v1/backups/" + ID + "/copies", "{\"repository\": \"nowhere\"}"))
                .andExpect(invalidField("repository", "no repository nowhere"));
        given(catalog.content(ID)).willThrow(new ConflictException("backup " + ID + " has no content (FAILED)"));
        send(OPERATOR, get("/api/v1/backups/" + ID + "/content")).andExpect(problem(409, "Conflict", "no content"));
        send(VIEWER, get("/api/v1/backups/" + ID + "/contents")).andExpect(problem(404, "Not found", ID.toString()));
    }

    @Test
    void listParametersOfTheWrongFormAreRefusedByName() throws Exception {
        send(VIEWER, get("/api/v1/backups?kind=NOPE"))
                .andExpect(problem(400, "Invalid request", "parameter 'kind' must be one of DUMP"));
        send(VIEWER, get("/api/v1/backups?verification=MAYBE")).andExpect(problem(400, "Invalid request",
                "parameter 'verification' must be one of"));
        send(VIEWER, get("/api/v1/backups?size=0")).andExpect(invalidField("size", "size must be from 1 to 500"));
        send(VIEWER, get("/api/v1/backups?size=501")).andExpect(invalidField("size", "size must be from 1 to 500"));
        send(VIEWER, get("/api/v1/backups?size=100000000")).andExpect(invalidField("size", "size must be from 1"));
        send(VIEWER, get("/api/v1/backups?page=99999999999")).andExpect(problem(400, "Invalid request",
                "parameter 'page' must be a whole number"));
        send(VIEWER, get("/api/v1/backups?page=-1")).andExpect(invalidField("page", "page must be 0 or more"));
        send(VIEWER, get("/api/v1/backups?page=first")).andExpect(problem(400, "Invalid request",
                "parameter 'page' must be a whole number, not \"first\""));
        send(VIEWER, get("/api/v1/backups/not-a-uuid")).andExpect(problem(400, "Invalid request",
                "parameter 'id' must be a UUID"));
        send(ADMIN, delete("/api/v1/backups/" + ID + "?force=perhaps")).andExpect(problem(400, "Invalid request",
                "parameter 'force'"));
        verifyNoInteractions(backups, catalog, lifecycle);
    }

    @Test
    void verificationsAndRestoresCheckTheirBodies() throws Exception {
        String verify = "/api/v1/backups/" + ID + "/verifications";
        send(OPERATOR, post(verify, "{}")).andExpect(invalidField("level", "level"));
        send(OPERATOR, post(verify, "{\"level\": \"THOROUGH\"}"))
                .andExpect(malformed("field 'level': expected one of CHECKSUM"));
        String restore = "/api/v1/backups/" + ID + "/restores";
        send(ADMIN, post(restore, "{\"targetDatabase\": \"x\", \"bogus\": true}"))
                .andExpect(malformed("unknown field 'bogus'"));
        send(ADMIN, post(restore, "{\"targetDatabase\": \"x\", \"jobs\": \"all\"}"))
                .andExpect(malformed("field 'jobs'"));
        send(ADMIN, post(restore, "{\"targetDatabase\": \"x\", \"tables\": \"t\"}"))
                .andExpect(malformed("field 'tables': expected a JSON array"));
        verifyNoInteractions(verifications, restores);
    }

    @Test
    void rolesAreCheckedBeforeTheBodyIsRead() throws Exception {
        // no token, and a token that is not one
        send(null, post(BACKUPS, "{\"kind\": \"DUMP\"}"))
                .andExpect(problem(401, "Unauthorized", "this endpoint needs a token"))
                .andExpect(header().string("WWW-Authenticate", "Bearer realm=\"pgvault\""));
        send("pgv_unknown", get("/api/v1/backups")).andExpect(problem(401, "Unauthorized", "not valid"));
        // a VIEWER learns nothing from a malformed body sent to an OPERATOR endpoint: 403, not 400
        send(VIEWER, post(BACKUPS, "{\"kind\": ")).andExpect(problem(403, "Forbidden",
                "needs the OPERATOR or ADMIN role"));
        send(VIEWER, get("/api/v1/backups/" + ID + "/content")).andExpect(problem(403, "Forbidden", "VIEWER"));
        send(OPERATOR, delete("/api/v1/backups/" + ID)).andExpect(problem(403, "Forbidden", "needs the ADMIN role"));
        then(audit).should(atLeastOnce()).denied(any(), eq(401));
        then(audit).should(atLeastOnce()).denied(any(), eq(403));
        verifyNoInteractions(backups, catalog, lifecycle, backupSources);
    }

    @Test
    void anOperatorRestoresOnlyToANewTargetAndTheServiceDecidesWhatIsNew() throws Exception {
        String restore = "/api/v1/backups/" + ID + "/restores";
        String overwrite = "{\"targetDatabase\": \"shop\", \"overwrite\": true}";
        // before the body is read the backup is unknown, and an unknown argument grants what a known one might
        given(restores.toNewTarget(isNull(), any())).willReturn(true);
        given(restores.toNewTarget(eq(ID), any())).willReturn(false);
        send(OPERATOR, post(restore, overwrite)).andExpect(problem(403, "Forbidden", "needs the ADMIN role"));
        then(restores).should(never()).start(any(), any(), any());
        given(restores.toNewTarget(eq(ID), any())).willReturn(true);
        given(restores.start(eq(ID), any(), any())).willThrow(new ConflictException("database shop exists; "
                + "createDatabase refused"));
        send(OPERATOR, post(restore, "{\"targetDatabase\": \"shop\", \"createDatabase\": true}"))
                .andExpect(problem(409, "Conflict", "createDatabase refused"));
        // an ADMIN is not asked about the target
        given(restores.toNewTarget(eq(ID), any())).willReturn(false);
        send(ADMIN, post(restore, overwrite)).andExpect(problem(409, "Conflict", "createDatabase refused"));
        then(restores).should(atLeastOnce()).toNewTarget(eq(ID), any());
        then(restores).should(times(2)).start(eq(ID), any(), any());
    }
}
