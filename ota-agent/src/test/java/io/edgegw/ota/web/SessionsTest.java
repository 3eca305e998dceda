package io.edgegw.ota.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SessionsTest {
  private final AtomicLong now = new AtomicLong(1_000);
  private final Sessions sessions =
      new Sessions(() -> Instant.ofEpochMilli(now.get()), Duration.ofMinutes(30));
  private final byte[] token = "0123456789abcdef0123".getBytes(StandardCharsets.UTF_8);

  @Test
  void onlyTheRightTokenOpensASessionUntilItExpires() {
    assertThat(sessions.login(token, "0123456789abcdef0124".getBytes(StandardCharsets.UTF_8)))
        .isEmpty();
    assertThat(sessions.login(token, "0123".getBytes(StandardCharsets.UTF_8))).isEmpty();
    String id = sessions.login(token, token.clone()).orElseThrow();
    assertThat(id).hasSizeGreaterThanOrEqualTo(43);
    assertThat(sessions.valid(id)).isTrue();
    assertThat(sessions.valid("forged")).isFalse();
    assertThat(sessions.valid(null)).isFalse();
    now.addAndGet(Duration.ofMinutes(30).toMillis());
    assertThat(sessions.valid(id)).isFalse();
  }

  @Test
  void noTokenFileMeansNoLogin() {
    assertThat(sessions.login(new byte[0], new byte[0])).isEmpty();
  }

  @Test
  void logoutEndsTheSession() {
    String id = sessions.login(token, token).orElseThrow();
    sessions.logout(id);
    assertThat(sessions.valid(id)).isFalse();
  }
}
