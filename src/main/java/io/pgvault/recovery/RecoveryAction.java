package io.pgvault.recovery;

import com.fasterxml.jackson.annotation.JsonProperty;

/** What the server does when it reaches the target (recovery_target_action). */
public enum RecoveryAction {
    @JsonProperty("promote") PROMOTE("promote"),
    @JsonProperty("pause") PAUSE("pause"),
    @JsonProperty("shutdown") SHUTDOWN("shutdown");

    private final String setting;

    RecoveryAction(String setting) {
        this.setting = setting;
    }

    String setting() {
        return setting;
    }
}
