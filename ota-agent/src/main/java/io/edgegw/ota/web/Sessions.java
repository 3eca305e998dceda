package io.edgegw.ota.web;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Logins to the management page: the token is compared in constant time, and a successful login
 * gets a random session id (256 bits) that expires after the configured time. Ids live in memory
 * only, so a restart of the agent logs everybody out.
 */
public final class Sessions {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int MAX_SESSIONS = 64;

  private final InstantSource clock;
  private final Duration ttl;
  private final Map<String, Long> expiries = new ConcurrentHashMap<>();

  public Sessions(InstantSource clock, Duration ttl) {
    this.clock = clock;
    this.ttl = ttl;
  }

  /**
   * A new session when {@code offered} equals {@code expected}; compared in constant time.
   *
   * @param expected the token from the token file; empty means no login is possible
   */
  public Optional<String> login(byte[] expected, byte[] offered) {
    if (expected.length == 0 || !MessageDigest.isEqual(expected, offered)) {
      return Optional.empty();
    }
    purge();
    if (expiries.size() >= MAX_SESSIONS) {
      // Drop the session closest to expiry rather than grow without bound.
      expiries.entrySet().stream()
          .min(Map.Entry.comparingByValue())
          .ifPresent(e -> expiries.remove(e.getKey()));
    }
    byte[] id = new byte[32];
    RANDOM.nextBytes(id);
    String session = Base64.getUrlEncoder().withoutPadding().encodeToString(id);
    expiries.put(session, clock.millis() + ttl.toMillis());
    return Optional.of(session);
  }

  /** Whether {@code session} is a live session. */
  public boolean valid(String session) {
    if (session == null) {
      return false;
    }
    Long expiry = expiries.get(session);
    if (expiry == null) {
      return false;
    }
    if (clock.millis() >= expiry) {
      expiries.remove(session);
      return false;
    }
    return true;
  }

  /** Ends a session. */
  public void logout(String session) {
    if (session != null) {
      expiries.remove(session);
    }
  }

  private void purge() {
    long now = clock.millis();
    expiries.values().removeIf(e -> now >= e);
  }
}
