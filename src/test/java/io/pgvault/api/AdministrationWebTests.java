package io.pgvault.api;

import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.BDDMockito.given;
import static org.mockito.BDDMockito.then;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;

import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * What an ADMIN sets up (schedules, webhooks, tokens, repository keys) in the web slice: bodies of the wrong form
 * are refused by field, PUT names every field it misses instead of resetting it (never asking for a write-only
 * secret), and nothing below ADMIN reaches these operations.
 */
class AdministrationWebTests extends WebSliceTest {

    static final UUID ID = UUID.fromString("7c9e6679-7425-40de-944b-e07fc1f90ae7");

    @Test
    void schedulesAreReadFieldByFieldAndPutNeedsThemAll() throws Exception {
        send(ADMIN, post("/api/v1/schedules", "{\"cluster\": \"shop\", \"cron\": \"0 0 3 * * *\", "
                + "\"backup\": {\"kind\": \"SNAPSHOT\"}}")).andExpect(malformed("field 'backup.kind': expected one of"));
        send(ADMIN, post("/api/v1/schedules", "{\"cluster\": \"shop\", \"cron\": \"0 0 3 * * *\", \"every\": \"day\"}"))
                .andExpect(malformed("unknown field 'every'"));
        send(ADMIN, put("/api/v1/schedules/" + ID, "{\"cron\": \"0 0 3 * * *\", \"backup\": {\"kind\": \"DUMP_ALL\"}}"))
                .andExpect(invalidField("timeZone", "PUT replaces the whole schedule"))
                .andExpect(jsonPath("$.detail").value(allOf(containsString("enabled"), containsString("retention"),
                        containsString("verification"), containsString("copyTo"), not(containsString("cron,")))));
        send(ADMIN, delete("/api/v1/schedules/" + ID + "?backups=burn"))
                .andExpect(invalidField("backups", "backups must be keep"));
        send(ADMIN, get("/api/v1/schedules/tomorrow")).andExpect(problem(400, "Invalid request",
                "parameter 'id' must be a UUID"));
        send(OPERATOR, post("/api/v1/schedules", "{")).andExpect(problem(403, "Forbidden", "needs the ADMIN role"));
        verifyNoInteractions(schedules);
        given(schedules.runNow(ID)).willThrow(new NotFoundException("no schedule " + ID));
        send(OPERATOR, post("/api/v1/schedules/" + ID + "/runs", "")).andExpect(problem(404, "Not found",
                ID.toString()));
    }

    @Test
    void webhooksNeverAskForTheirSecretAgain() throws Exception {
        send(ADMIN, put("/api/v1/notifications/" + ID, "{\"url\": \"https://alerts.example.com/other\"}"))
                .andExpect(invalidField("events", "PUT replaces the whole webhook"))
                .andExpect(jsonPath("$.detail").value(allOf(containsString("enabled"), not(containsString("secret")))));
        send(ADMIN, post("/api/v1/notifications", "{\"url\": \"https://alerts.example.com\", \"events\": "
                + "[\"SOMETIMES\"]}")).andExpect(malformed("field 'events"));
        send(VIEWER, delete("/api/v1/notifications/" + ID)).andExpect(problem(403, "Forbidden", "ADMIN"));
        send(null, patch("/api/v1/notifications/" + ID, "{\"enabled\": true}"))
                .andExpect(problem(401, "Unauthorized", "needs a token"));
        verifyNoInteractions(webhooks);
    }

    @Test
    void tokensAreValidatedLikeEverythingElse() throws Exception {
        send(ADMIN, post("/api/v1/tokens", "{\"name\": \"late\", \"role\": \"VIEWER\", \"expiresAt\": \"tomorrow\"}"))
                .andExpect(malformed("field 'expiresAt': expected an ISO-8601 date and time with a UTC offset"));
        send(ADMIN, post("/api/v1/tokens", "{\"name\": \"root\", \"role\": \"ROOT\"}"))
                .andExpect(malformed("field 'role': expected one of VIEWER, OPERATOR, ADMIN"));
        send(ADMIN, delete("/api/v1/tokens/abc")).andExpect(problem(400, "Invalid request",
                "parameter 'id' must be a UUID"));
        send(OPERATOR, get("/api/v1/tokens")).andExpect(problem(403, "Forbidden", "needs the ADMIN role"));
        then(tokens).should(never()).create(any(), any(), any());
        then(tokens).should(never()).list();
    }

    @Test
    void repositoriesNeedATokenAndTheirKeysRotateOnlyForAnAdmin() throws Exception {
        send(null, get("/api/v1/repositories")).andExpect(problem(401, "Unauthorized", "needs a token"));
        send(OPERATOR, post("/api/v1/repositories/offsite/keys", "")).andExpect(problem(403, "Forbidden", "ADMIN"));
        verifyNoInteractions(keyRotation);
        given(keyRotation.rotate("nowhere")).willThrow(new NotFoundException("no repository named nowhere"));
        send(ADMIN, post("/api/v1/repositories/nowhere/keys", "")).andExpect(problem(404, "Not found", "nowhere"));
    }

    @Test
    void reencryptionIsForAnAdminAndNamesWhatStopsIt() throws Exception {
        send(OPERATOR, post("/api/v1/repositories/offsite/reencryptions", "")).andExpect(problem(403, "Forbidden",
                "ADMIN"));
        send(VIEWER, post("/api/v1/repositories/offsite/reencryptions", "")).andExpect(problem(403, "Forbidden",
                "ADMIN"));
        verifyNoInteractions(reencryptions);
        given(reencryptions.start("nowhere")).willThrow(new NotFoundException("no repository named nowhere"));
        send(ADMIN, post("/api/v1/repositories/nowhere/reencryptions", "")).andExpect(problem(404, "Not found",
                "nowhere"));
        given(reencryptions.start("local")).willThrow(new ConflictException("repository 'local' is not encrypted"));
        send(ADMIN, post("/api/v1/repositories/local/reencryptions", "")).andExpect(problem(409, "Conflict",
                "not encrypted"));
    }
}
