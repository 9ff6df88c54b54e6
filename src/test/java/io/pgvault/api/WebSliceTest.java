package io.pgvault.api;

import static org.hamcrest.Matchers.containsString;
import static org.mockito.BDDMockito.given;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import io.pgvault.PgvaultProperties;
import io.pgvault.audit.AuditTrail;
import io.pgvault.backup.BackupCatalog;
import io.pgvault.backup.BackupContents;
import io.pgvault.backup.BackupLifecycle;
import io.pgvault.backup.BackupService;
import io.pgvault.backup.BackupVerifications;
import io.pgvault.cluster.ClusterCheck;
import io.pgvault.cluster.ClusterService;
import io.pgvault.copy.BackupSources;
import io.pgvault.copy.CopyService;
import io.pgvault.extraction.ExtractionService;
import io.pgvault.job.Instances;
import io.pgvault.job.JobService;
import io.pgvault.monitoring.ClusterStatusService;
import io.pgvault.notification.WebhookService;
import io.pgvault.proof.ProofService;
import io.pgvault.recovery.RecoveryService;
import io.pgvault.restore.RestoreService;
import io.pgvault.retention.RetentionService;
import io.pgvault.schedule.ScheduleService;
import io.pgvault.security.ApiTokenService;
import io.pgvault.security.Caller;
import io.pgvault.security.CopyTokenCheck;
import io.pgvault.security.Role;
import io.pgvault.security.SecuritySlice;
import io.pgvault.storage.Repositories;
import io.pgvault.storage.RepositoryKeyRotation;
import io.pgvault.wal.WalArchiveService;
import io.pgvault.wal.WalStreamer;
import io.pgvault.wal.WalVerifications;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.ResultActions;
import org.springframework.test.web.servlet.ResultMatcher;
import org.springframework.test.web.servlet.request.MockHttpServletRequestBuilder;
import org.springframework.test.web.servlet.request.MockMvcRequestBuilders;
import tools.jackson.databind.json.JsonMapper;

/**
 * The base of the web slice tests: every controller with the real {@link ProblemHandler}, the real security
 * configuration (bearer tokens, {@code @PreAuthorize} on each operation, checked early and on the call), the real
 * merge-patch and PUT handling ({@link Representations}), and the services behind the controllers as Mockito
 * mocks. A slice answers in milliseconds what an end-to-end test needs a server, a catalog and a cluster for: how a
 * request that never reaches a service (a malformed body, a value of the wrong form, a role too small) is
 * answered, and how each domain exception is rendered. What a service decides (a cluster that does not exist,
 * options that do not fit) stays with the end-to-end tests that run it for real.
 *
 * <p>All controllers and all mocks are declared here, once, so that every subclass shares one cached Spring context
 * (a subclass that declared a mock of its own would get a context of its own). Mocks are reset after each test;
 * the tokens below are stubbed again before each.
 */
@WebMvcTest
@Import({SecuritySlice.class, Representations.class, WebSliceTest.FixedClock.class})
public abstract class WebSliceTest {

    protected static final String VIEWER = "pgv_slice-viewer";
    protected static final String OPERATOR = "pgv_slice-operator";
    protected static final String ADMIN = "pgv_slice-admin";
    /** The instant the slice's clock stands at. */
    protected static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Autowired
    protected MockMvc mvc;

    @MockitoBean
    protected ApiTokenService tokens;
    @MockitoBean
    protected CopyTokenCheck copyTokens;
    @MockitoBean
    protected AuditTrail audit;
    @MockitoBean
    protected ClusterService clusters;
    @MockitoBean
    protected ClusterCheck clusterCheck;
    @MockitoBean
    protected BackupService backups;
    @MockitoBean
    protected BackupCatalog catalog;
    @MockitoBean
    protected BackupLifecycle lifecycle;
    @MockitoBean
    protected BackupVerifications verifications;
    @MockitoBean
    protected BackupContents contents;
    @MockitoBean
    protected BackupSources backupSources;
    @MockitoBean
    protected CopyService copies;
    @MockitoBean(name = "restoreService")
    protected RestoreService restores;
    @MockitoBean
    protected RecoveryService recoveries;
    @MockitoBean
    protected ExtractionService extractions;
    @MockitoBean
    protected JobService jobs;
    @MockitoBean
    protected Instances instances;
    @MockitoBean
    protected WalArchiveService wal;
    @MockitoBean
    protected WalVerifications walVerifications;
    @MockitoBean
    protected WalStreamer walStreamer;
    @MockitoBean
    protected RetentionService retention;
    @MockitoBean
    protected ScheduleService schedules;
    @MockitoBean
    protected WebhookService webhooks;
    @MockitoBean
    protected ProofService proofs;
    @MockitoBean
    protected ClusterStatusService statuses;
    @MockitoBean
    protected Repositories repositories;
    @MockitoBean
    protected RepositoryKeyRotation keyRotation;
    @MockitoBean
    protected io.pgvault.reencryption.ReencryptionService reencryptions;

    @BeforeEach
    void callers() {
        given(tokens.authenticate(VIEWER)).willReturn(Optional.of(new Caller("slice-viewer", Role.VIEWER, null)));
        given(tokens.authenticate(OPERATOR)).willReturn(Optional.of(new Caller("slice-operator", Role.OPERATOR, null)));
        given(tokens.authenticate(ADMIN)).willReturn(Optional.of(new Caller("slice-admin", Role.ADMIN, null)));
    }

    /** {@code request} sent with {@code token} (null: without one). */
    protected ResultActions send(String token, MockHttpServletRequestBuilder request) throws Exception {
        return mvc.perform(token == null ? request : request.header("Authorization", "Bearer " + token));
    }

    /** {@code value} as JSON text (escapes done by Jackson, so that a test can send NULs and newlines). */
    protected static String json(Object value) {
        return JSON.writeValueAsString(value);
    }

    /** A POST of a JSON body. */
    protected static MockHttpServletRequestBuilder post(String path, String json) {
        return MockMvcRequestBuilders.post(path).contentType(MediaType.APPLICATION_JSON).content(json);
    }

    /** A PUT of a JSON body. */
    protected static MockHttpServletRequestBuilder put(String path, String json) {
        return MockMvcRequestBuilders.put(path).contentType(MediaType.APPLICATION_JSON).content(json);
    }

    /** A PATCH of a JSON Merge Patch body. */
    protected static MockHttpServletRequestBuilder patch(String path, String json) {
        return MockMvcRequestBuilders.patch(path).contentType(Representations.MERGE_PATCH).content(json);
    }

    protected static MockHttpServletRequestBuilder get(String path) {
        return MockMvcRequestBuilders.get(path);
    }

    protected static MockHttpServletRequestBuilder delete(String path) {
        return MockMvcRequestBuilders.delete(path);
    }

    /**
     * An RFC 9457 answer: the status, application/problem+json, type about:blank, the title, the status again in
     * the body, and a detail that contains {@code detail}.
     */
    protected static ResultMatcher problem(int status, String title, String detail) {
        return all(status().is(status),
                content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON),
                jsonPath("$.type").value("about:blank"),
                jsonPath("$.title").value(title),
                jsonPath("$.status").value(status),
                jsonPath("$.detail").value(containsString(detail)));
    }

    /** A 400 "Invalid request" whose errors name {@code field}. */
    protected static ResultMatcher invalidField(String field, String detail) {
        return all(problem(400, "Invalid request", detail),
                jsonPath("$.errors[?(@.field == '" + field + "')]").exists());
    }

    /** A 400 for a body Jackson could not read. */
    protected static ResultMatcher malformed(String detail) {
        return problem(400, "Malformed request body", detail);
    }

    /** Every one of {@code matchers}. */
    protected static ResultMatcher all(ResultMatcher... matchers) {
        return result -> {
            for (ResultMatcher m : matchers) {
                m.match(result);
            }
        };
    }

    /** The slice's own clock and the application's settings (bound from application.yml as in the server). */
    @TestConfiguration(proxyBeanMethods = false)
    @EnableConfigurationProperties(PgvaultProperties.class)
    static class FixedClock {

        @Bean
        Clock clock() {
            return Clock.fixed(NOW, ZoneOffset.UTC);
        }
    }
}
