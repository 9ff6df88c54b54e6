package io.pgvault.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** A copy token's WAL scope: its timelines' files from the backup's first segment to the planned end. */
class WalScopeTests {

    @Test
    void aBoundedScopeAllowsItsTimelinesFromTheBackupToTheSegmentAfterTheTarget() {
        WalScope scope = WalScope.parse(new WalScope(List.of(1L, 2L), "0000000000000003", "0000000100000002")
                .format());
        assertThat(scope.allows("000000010000000000000003")).isTrue();
        assertThat(scope.allows("000000010000000000000002")).as("before the backup").isFalse();
        assertThat(scope.allows("000000020000000100000002")).isTrue();
        assertThat(scope.allows("000000020000000100000003")).as("after the end").isFalse();
        assertThat(scope.allows("000000020000000000000010.partial")).isTrue();
        assertThat(scope.allows("000000030000000000000010")).as("another timeline").isFalse();
        assertThat(scope.allows("00000002.history")).isTrue();
        assertThat(scope.allows("00000003.history")).isFalse();
        assertThat(scope.allows("../etc/passwd")).isFalse();
    }

    @Test
    void anOpenScopeHasNoLastSegment() {
        WalScope scope = WalScope.parse(new WalScope(List.of(4L), "00000000000000A0", null).format());
        assertThat(scope.to()).isNull();
        assertThat(scope.allows("0000000400000007000000FF")).isTrue();
        assertThat(scope.allows("00000004000000000000009F")).isFalse();
        assertThat(scope.allows("0000000100000007000000FF")).isFalse();
    }

    @Test
    void aStandbysScopeFollowsEveryLaterTimelineWithoutEnd() {
        WalScope scope = WalScope.parse(new WalScope(List.of(2L), "0000000000000003", "0000000000000009").following()
                .format());
        assertThat(scope.to()).isNull();
        assertThat(scope.allows("00000002000000000000000F")).as("past the planned end").isTrue();
        assertThat(scope.allows("00000003.history")).as("a timeline born after the token").isTrue();
        assertThat(scope.allows("000000050000000000000010")).isTrue();
        assertThat(scope.allows("000000010000000000000010")).as("an earlier timeline").isFalse();
        assertThat(scope.allows("000000030000000000000002")).as("before the backup").isFalse();
    }
}
