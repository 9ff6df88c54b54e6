package io.pgvault.cluster.web;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.BDDMockito.given;
import static org.mockito.BDDMockito.then;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import io.pgvault.api.BusyException;
import io.pgvault.api.ConflictException;
import io.pgvault.api.NotFoundException;
import io.pgvault.api.WebSliceTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;

/**
 * The endpoints under {@code /clusters} (registration, WAL, proof, retention, recoveries, extractions) in the web
 * slice: bean validation and JSON forms answered field by field before a service is asked, PUT's whole
 * representation, the roles each operation needs (archive tokens only on their own cluster's WAL), and the
 * services' refusals, storage errors and busy answers as problems.
 */
class ClusterWebTests extends WebSliceTest {

    static final String SEGMENT = "/api/v1/clusters/shop/wal/000000010000000000000003";

    @Test
    void aRegistrationIsCheckedFieldByFieldBeforeAnythingConnects() throws Exception {
        send(ADMIN, post("/api/v1/clusters", "{\"name\": \"Bad Name!\", \"host\": \"h;rm -rf /\", \"port\": 70000, "
                + "\"username\": \"postgres\"}"))
                .andExpect(invalidField("name", "name: must match ^[a-z][a-z0-9-]{0,62}$"))
                .andExpect(jsonPath("$.errors[?(@.field == 'host')].message").value("must be a host name or IP address"))
                .andExpect(jsonPath("$.errors[?(@.field == 'port')]").exists());
        send(ADMIN, post("/api/v1/clusters", "{\"host\": \"127.0.0.1\", \"port\": 5432, \"username\": \"x\"}"))
                .andExpect(invalidField("name", "name is required"));
        send(ADMIN, post("/api/v1/clusters", "{\"name\": \"badssl\", \"host\": \"127.0.0.1\", \"port\": 5432, "
                + "\"username\": \"postgres\", \"sslMode\": \"sometimes\"}"))
                .andExpect(invalidField("sslMode", "must be one of disable, allow"));
        send(ADMIN, post("/api/v1/clusters", "{\"name\": \"streamed\", \"host\": \"127.0.0.1\", \"port\": 5432, "
                + "\"username\": \"postgres\", \"walArchive\": \"SOMETIMES\"}"))
                .andExpect(malformed("field 'walArchive': expected one of"));
        send(ADMIN, post("/api/v1/clusters", "{\"name\": \"c\", \"host\": \"h\", \"port\": \"5432x\", "
                + "\"username\": \"u\"}")).andExpect(malformed("field 'port'"));
        verifyNoInteractions(clusters);
    }

    @Test
    void hostileNamesHostsUsersAndPortsAreRefusedBeforeAnythingConnects() throws Exception {
        for (String name : List.of("a;rm -rf /", "$(id)", "`id`", "a'b", "a\"b", "a\nb", "a\u0000b", "a|b", "a&b",
                "-rf", "..", "a b")) {
            send(ADMIN, post("/api/v1/clusters", json(Map.of("name", name, "host", "127.0.0.1", "port", 5432,
                    "username", "postgres")))).andExpect(invalidField("name", "must match"));
        }
        send(ADMIN, post("/api/v1/clusters", json(Map.of("name", "nul-host", "host", "127.0.0.1\u0000evil",
                "port", 5432, "username", "postgres")))).andExpect(invalidField("host", "host name or IP address"));
        send(ADMIN, post("/api/v1/clusters", json(Map.of("name", "nl-user", "host", "127.0.0.1", "port", 5432,
                "username", "postgres\nhost=evil")))).andExpect(invalidField("username", "control characters"));
        for (long port : List.of(-1L, 0L, 65536L)) {
            send(ADMIN, post("/api/v1/clusters", json(Map.of("name", "badport", "host", "127.0.0.1", "port", port,
                    "username", "postgres")))).andExpect(invalidField("port", "port"));
        }
        send(ADMIN, post("/api/v1/clusters", json(Map.of("name", "badport", "host", "127.0.0.1", "port", 1L << 33,
                "username", "postgres")))).andExpect(malformed("field 'port'"));
        verifyNoInteractions(clusters);
    }

    @Test
    void putNeedsTheWholeRepresentationAndNothingRenames() throws Exception {
        send(ADMIN, put("/api/v1/clusters/shop", "{\"host\": \"h\", \"port\": 5432, \"username\": \"u\"}"))
                .andExpect(invalidField("walArchive", "PUT replaces the whole cluster and needs every field"))
                .andExpect(jsonPath("$.detail").value(org.hamcrest.Matchers.allOf(
                        org.hamcrest.Matchers.containsString("rpo"), org.hamcrest.Matchers.containsString("retention"),
                        org.hamcrest.Matchers.containsString("PATCH"))))
                .andExpect(jsonPath("$.errors[?(@.field == 'retention')]").exists());
        send(ADMIN, patch("/api/v1/clusters/shop", "{\"name\": \"other\"}"))
                .andExpect(invalidField("name", "a cluster cannot be renamed"));
        send(ADMIN, put("/api/v1/clusters/shop", "[1]")).andExpect(status().isBadRequest());
        verifyNoInteractions(clusters);
        given(clusters.get("nobody")).willThrow(new NotFoundException("no cluster named nobody"));
        send(VIEWER, get("/api/v1/clusters/nobody")).andExpect(problem(404, "Not found", "no cluster named nobody"));
        org.mockito.BDDMockito.willThrow(new ConflictException("cluster shop has 3 backups; delete them first"))
                .given(clusters).delete("shop");
        send(ADMIN, delete("/api/v1/clusters/shop")).andExpect(problem(409, "Conflict", "3 backups"));
    }

    @Test
    void recoveryAndExtractionTargetsOfTheWrongFormNameTheFormTheyNeed() throws Exception {
        String recover = "/api/v1/clusters/shop/recoveries";
        send(OPERATOR, post(recover, "{\"target\": {\"time\": \"2026-11-25T10:42:00\"}, \"dataDirectory\": \"/x\"}"))
                .andExpect(malformed("field 'target.time': expected an ISO-8601 date and time with a UTC offset, e.g. "
                        + "2026-11-25T10:42:00+01:00"))
                .andExpect(jsonPath("$.detail").value(org.hamcrest.Matchers.containsString(
                        "not \"2026-11-25T10:42:00\"")));
        send(OPERATOR, post(recover, "{\"target\": {\"latest\": true}, \"action\": \"explode\", "
                + "\"dataDirectory\": \"/x\"}")).andExpect(malformed("field 'action': expected one of promote, pause, "
                + "shutdown"));
        send(OPERATOR, post(recover, "{\"target\": {\"xid\": \"many\"}, \"dataDirectory\": \"/x\"}"))
                .andExpect(malformed("field 'target.xid': expected a whole number"));
        send(OPERATOR, post("/api/v1/clusters/shop/extractions", "{\"target\": {\"latest\": true}, \"tables\": "
                + "\"public.orders\"}")).andExpect(malformed("field 'tables': expected a JSON array"));
        send(OPERATOR, post("/api/v1/clusters/shop/extractions/preview", "{\"target\": {\"time\": \"yesterday\"}}"))
                .andExpect(malformed("field 'target.time'"));
        verifyNoInteractions(recoveries, extractions);
    }

    @Test
    void whatOnlyAnAdminMayAskIsRefusedToAnOperatorUnread() throws Exception {
        send(OPERATOR, post("/api/v1/clusters/shop/recoveries", "{\"target\": {\"latest\": true}, "
                + "\"dataDirectory\": \"/x\", \"replaceExisting\": true}"))
                .andExpect(problem(403, "Forbidden", "needs the ADMIN role"));
        send(OPERATOR, post("/api/v1/clusters/shop/extractions", "{\"target\": {\"latest\": true}, "
                + "\"database\": \"shop\", \"tables\": [\"public.orders\"], \"replace\": true}"))
                .andExpect(problem(403, "Forbidden", "needs the ADMIN role"));
        send(OPERATOR, post("/api/v1/clusters", "{")).andExpect(problem(403, "Forbidden", "needs the ADMIN role"));
        send(OPERATOR, get("/api/v1/clusters/shop/archive-config")).andExpect(problem(403, "Forbidden", "ADMIN"));
        send(VIEWER, post("/api/v1/clusters/shop/proof/runs", "")).andExpect(problem(403, "Forbidden", "OPERATOR"));
        verifyNoInteractions(recoveries, extractions, clusters, proofs);
    }

    @Test
    void walMovesOnlyWithAnArchiveTokenOfItsOwnClusterOrARole() throws Exception {
        given(clusters.matches("shop", "pgva_shop")).willReturn(true);
        byte[] segment = new byte[16];
        // the archive token of another cluster is no token at all here; its refused push is noted for the cluster
        send("pgva_other", org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put(SEGMENT)
                .contentType(MediaType.APPLICATION_OCTET_STREAM).content(segment))
                .andExpect(problem(401, "Unauthorized", "not valid"));
        then(clusters).should().refused("shop", "000000010000000000000003");
        // its own cluster's token, on a path of the WAL file's shape that is not a WAL file: no role to call it
        send("pgva_shop", post("/api/v1/clusters/shop/wal/verifications", ""))
                .andExpect(problem(403, "Forbidden", "an archive or copy token does not allow"));
        send(VIEWER, get(SEGMENT)).andExpect(problem(403, "Forbidden", "OPERATOR"));
        verifyNoInteractions(wal);

        given(wal.fetch("shop", "000000010000000000000009")).willThrow(
                new NotFoundException("WAL file 000000010000000000000009 of cluster shop is not archived"));
        send("pgva_shop", get("/api/v1/clusters/shop/wal/000000010000000000000009"))
                .andExpect(problem(404, "Not found", "not archived"));
        given(wal.fetch("shop", "000000010000000000000003")).willReturn(new ByteArrayInputStream(segment));
        send("pgva_shop", get(SEGMENT)).andExpect(status().isOk()).andExpect(content().bytes(segment));
    }

    @Test
    void aPushThatConflictsOrMeetsAStorageFaultSaysSoAndMayBeRetried() throws Exception {
        given(clusters.matches("shop", "pgva_shop")).willReturn(true);
        var push = org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put(SEGMENT)
                .contentType(MediaType.APPLICATION_OCTET_STREAM).content(new byte[16]);
        given(wal.push(eq("shop"), eq("000000010000000000000003"), anyLong(), any())).willThrow(
                new ConflictException("WAL file 000000010000000000000003 is archived with different content"));
        send("pgva_shop", push).andExpect(problem(409, "Conflict", "different content"));
        given(wal.push(eq("shop"), eq("000000010000000000000003"), anyLong(), any())).willThrow(
                new IOException("the bucket answered 503 Slow Down"));
        send("pgva_shop", push).andExpect(problem(503, "Storage unavailable", "the bucket answered 503 Slow Down; "
                + "nothing was recorded, the same request may be sent again"))
                .andExpect(header().string("Retry-After", "5"));
        given(wal.push(eq("shop"), eq("000000010000000000000003"), anyLong(), any())).willThrow(
                new BusyException("retention is removing this cluster's WAL", 2));
        send("pgva_shop", push).andExpect(problem(503, "Busy", "retention is removing"))
                .andExpect(header().string("Retry-After", "2"));
    }

    @Test
    void proofAndRetentionSettingsOfTheWrongFormAreRefused() throws Exception {
        send(ADMIN, put("/api/v1/clusters/shop/proof", "{}")).andExpect(invalidField("mode", "mode"));
        send(ADMIN, put("/api/v1/clusters/shop/proof", "{\"mode\": \"WEEKLY\"}"))
                .andExpect(malformed("field 'mode': expected one of"));
        send(ADMIN, put("/api/v1/clusters/shop/proof", "{\"mode\": \"DAILY\", \"rpoBasis\": \"GUESSED\"}"))
                .andExpect(malformed("field 'rpoBasis'"));
        send(ADMIN, post("/api/v1/clusters/shop/retention?dryRun=maybe", ""))
                .andExpect(problem(400, "Invalid request", "parameter 'dryRun'"));
        verifyNoInteractions(proofs, retention);
        given(retention.start("nobody")).willThrow(new NotFoundException("no cluster named nobody"));
        send(ADMIN, post("/api/v1/clusters/nobody/retention", "")).andExpect(problem(404, "Not found", "nobody"));
    }
}
