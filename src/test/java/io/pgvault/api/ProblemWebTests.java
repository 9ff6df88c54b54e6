package io.pgvault.api;

import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.BDDMockito.given;
import static org.mockito.BDDMockito.willThrow;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.dao.PessimisticLockingFailureException;
import org.springframework.test.web.servlet.ResultMatcher;
import org.springframework.test.web.servlet.request.MockMvcRequestBuilders;

/**
 * {@link ProblemHandler} and the security's own problems, one domain or infrastructure failure each, rendered from a
 * controller in the web slice: the status, the title a client can branch on, the detail a person can act on, the
 * headers that say when to try again, and never the internals of an unexpected error.
 */
class ProblemWebTests extends WebSliceTest {

    static final String JOBS = "/api/v1/jobs";

    private void jobListThrows(RuntimeException e) {
        willThrow(e).given(jobs).list(any(), any(), any(), any());
    }

    @Test
    void theCatalogOutOfReachIs503WithWhenToTryAgain() throws Exception {
        jobListThrows(new DataAccessResourceFailureException("Connection refused"));
        send(VIEWER, get(JOBS)).andExpect(problem(503, "Catalog unavailable", "nothing was started or changed"))
                .andExpect(header().string("Retry-After", "10"));
        // a broken connection seen as any other exception (SQLState class 08) is the same outage
        jobListThrows(new IllegalStateException("flush failed", new SQLException("I/O error", "08006")));
        send(VIEWER, get(JOBS)).andExpect(problem(503, "Catalog unavailable", "try again"));
        // the token cannot be checked either: 503 before any rule is applied
        given(tokens.authenticate("pgv_while-down")).willThrow(new DataAccessResourceFailureException("refused"));
        send("pgv_while-down", get(JOBS)).andExpect(problem(503, "Service unavailable",
                "the catalog database cannot be reached to check the token"));
    }

    @Test
    void racesAndLocksAnswerConflictOrBusy() throws Exception {
        jobListThrows(new DataIntegrityViolationException("unique constraint uk_token_name violated"));
        send(VIEWER, get(JOBS)).andExpect(problem(409, "Conflict", "conflicts with an existing entry"))
                .andExpect(content().string(not(containsString("uk_token_name"))));
        jobListThrows(new PessimisticLockingFailureException("Timeout trying to lock table"));
        send(VIEWER, get(JOBS)).andExpect(problem(503, "Busy", "the same request will work in a moment"))
                .andExpect(header().string("Retry-After", "1"));
    }

    @Test
    void domainRefusalsKeepTheirWords() throws Exception {
        jobListThrows(new UnprocessableContentException("cluster", "cluster shop has no WAL archive"));
        send(VIEWER, get(JOBS)).andExpect(invalidFieldOf(422, "Unprocessable content", "cluster",
                "has no WAL archive"));
        jobListThrows(new ContentTooLargeException("the body is larger than a WAL segment (16 MiB)"));
        send(VIEWER, get(JOBS)).andExpect(problem(413, "Content too large", "larger than a WAL segment"));
        jobListThrows(new InvalidRequestException("no field, only words"));
        send(VIEWER, get(JOBS)).andExpect(problem(400, "Invalid request", "only words"));
    }

    @Test
    void anUnexpectedErrorSays500AndNothingOfItsInsides() throws Exception {
        jobListThrows(new IllegalStateException("secret=hunter2 in the key file"));
        send(VIEWER, get(JOBS)).andExpect(problem(500, "Internal error", "the server log has the details"))
                .andExpect(content().string(not(containsString("hunter2"))));
    }

    @Test
    void requestsTheApiDoesNotHaveAreProblemsToo() throws Exception {
        send(VIEWER, delete(JOBS)).andExpect(content().contentTypeCompatibleWith("application/problem+json"))
                .andExpect(status().is(405));
        send(ADMIN, MockMvcRequestBuilders.post("/api/v1/clusters")
                .contentType("text/csv").content("name,host")).andExpect(
                        content().contentTypeCompatibleWith("application/problem+json"))
                .andExpect(status().is(415));
    }

    private static ResultMatcher invalidFieldOf(int status, String title,
            String field, String detail) {
        return all(problem(status, title, detail),
                jsonPath(
                        "$.errors[?(@.field == '" + field + "')]").exists());
    }
}
