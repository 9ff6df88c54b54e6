package io.pgvault.security;

import jakarta.servlet.http.HttpServletRequest;

/** Where refused requests are recorded (the audit trail implements it). */
public interface SecurityAudit {

    void denied(HttpServletRequest request, int status);
}
