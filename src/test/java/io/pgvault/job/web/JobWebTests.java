package io.pgvault.job.web;

import static org.mockito.BDDMockito.given;
import static org.mockito.BDDMockito.willReturn;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.asyncDispatch;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.request;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import io.pgvault.api.ConflictException;
import io.pgvault.api.NotFoundException;
import io.pgvault.api.WebSliceTest;
import io.pgvault.job.JobStatus;
import io.pgvault.job.JobType;
import io.pgvault.job.JobView;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.test.web.servlet.MvcResult;

/**
 * Jobs, the audit trail, the status and the instances in the web slice: paging, filters, ids and waits of the
 * wrong form are refused by name before the catalog is read; a job that is gone or has ended answers its problem,
 * also where the success is plain text (the log).
 */
class JobWebTests extends WebSliceTest {

    static final UUID ID = UUID.fromString("3d0f8a52-7a4e-4c61-9d3b-2f1c0e5a6b7d");

    @Test
    void pagingFiltersIdsAndWaitsOfTheWrongFormAreRefusedByName() throws Exception {
        send(VIEWER, get("/api/v1/jobs?page=-1")).andExpect(invalidField("page", "page must be 0 or more"));
        send(VIEWER, get("/api/v1/jobs?size=100000")).andExpect(invalidField("size", "size must be from 1 to 500"));
        send(VIEWER, get("/api/v1/jobs?type=NAP")).andExpect(problem(400, "Invalid request",
                "parameter 'type' must be one of BACKUP"));
        send(VIEWER, get("/api/v1/jobs?status=DONE")).andExpect(problem(400, "Invalid request",
                "parameter 'status' must be one of QUEUED"));
        send(VIEWER, get("/api/v1/jobs/not-a-job")).andExpect(problem(400, "Invalid request",
                "parameter 'id' must be a UUID"));
        send(VIEWER, get("/api/v1/jobs/" + ID + "?waitSeconds=soon")).andExpect(problem(400, "Invalid request",
                "parameter 'waitSeconds' must be a whole number, not \"soon\""));
        send(VIEWER, get("/api/v1/jobs/" + ID + "?waitSeconds=601"))
                .andExpect(invalidField("waitSeconds", "waitSeconds must be from 0 to 600"));
        send(VIEWER, get("/api/v1/jobs/" + ID + "?waitSeconds=-1"))
                .andExpect(invalidField("waitSeconds", "waitSeconds must be from 0 to 600"));
        send(OPERATOR, post("/api/v1/jobs/not-a-job/cancel", "")).andExpect(problem(400, "Invalid request",
                "parameter 'id' must be a UUID"));
        verifyNoInteractions(jobs);
    }

    @Test
    void aJobThatIsGoneOrHasEndedAnswersItsProblem() throws Exception {
        given(jobs.get(ID)).willThrow(new NotFoundException("no job " + ID));
        send(VIEWER, get("/api/v1/jobs/" + ID)).andExpect(problem(404, "Not found", "no job " + ID));
        given(jobs.log(ID)).willThrow(new NotFoundException("no job " + ID));
        send(VIEWER, get("/api/v1/jobs/" + ID + "/log")).andExpect(problem(404, "Not found", "no job " + ID));
        given(jobs.cancel(ID)).willThrow(new ConflictException("job " + ID + " has already ended (SUCCEEDED)"));
        send(OPERATOR, post("/api/v1/jobs/" + ID + "/cancel", "")).andExpect(problem(409, "Conflict",
                "has already ended"));
        send(VIEWER, post("/api/v1/jobs/" + ID + "/cancel", "")).andExpect(problem(403, "Forbidden", "OPERATOR"));
        willReturn(new JobView(ID, JobType.RESTORE, JobStatus.FAILED, "shop", null, "restore", 10, 20L, NOW, NOW,
                NOW, "pg_restore failed", null, "e2e", null)).given(jobs).get(ID);
        // an answer through a DeferredResult (the job wait), dispatched again once set
        MvcResult started = send(VIEWER, get("/api/v1/jobs/" + ID)).andExpect(request().asyncStarted()).andReturn();
        mvc.perform(asyncDispatch(started)).andExpect(status().isOk())
                .andExpect(jsonPath("$.type").value("RESTORE"))
                .andExpect(jsonPath("$.error").value("pg_restore failed"));
    }

    @Test
    void theAuditTrailIsForAdminsAndTheStatusForEveryRole() throws Exception {
        send(OPERATOR, get("/api/v1/audit")).andExpect(problem(403, "Forbidden", "needs the ADMIN role"));
        send(ADMIN, get("/api/v1/audit?page=last")).andExpect(problem(400, "Invalid request",
                "parameter 'page' must be a whole number"));
        send(null, get("/api/v1/status")).andExpect(problem(401, "Unauthorized", "needs a token"));
        send(null, get("/api/v1/instances")).andExpect(problem(401, "Unauthorized", "needs a token"));
        send(VIEWER, get("/api/v1/status")).andExpect(status().isOk())
                .andExpect(jsonPath("$.atRisk").value(false))
                .andExpect(jsonPath("$.checkedAt").value(NOW.toString()));
    }
}
