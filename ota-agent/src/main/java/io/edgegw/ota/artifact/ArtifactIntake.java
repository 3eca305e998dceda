package io.edgegw.ota.artifact;

import io.edgegw.bundle.BundleRejectedException;
import io.edgegw.bundle.BundleVerifier;
import io.edgegw.bundle.RegistryUnavailableException;
import io.edgegw.bundle.SignedArtifact;
import io.edgegw.ota.update.RetryBackoff;
import java.io.IOException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * Brings one artifact in: pull from the registry (retrying with backoff while it is unreachable),
 * verify its signature against the trust anchors, and only then store it. A rejected or failed
 * artifact leaves the store as it was, so the previous version stays served.
 */
public final class ArtifactIntake {
  private static final Logger LOG = Logger.getLogger(ArtifactIntake.class);

  /** Pulls an artifact; gateway-bundle's {@code RegistryClient::pullArtifact} in production. */
  @FunctionalInterface
  public interface Puller {
    /** See {@code RegistryClient#pullArtifact}. */
    SignedArtifact pull(String repository, String reference, int maxBytes)
        throws IOException, BundleRejectedException;
  }

  /** Waits between retries; {@code Thread::sleep} in production. */
  @FunctionalInterface
  public interface Pause {
    /** Waits {@code d}. */
    void pause(Duration d) throws InterruptedException;
  }

  /** Receives progress: a step name and its details. */
  @FunctionalInterface
  public interface Progress {
    /** Reports a step. */
    void step(String step, Map<String, Object> detail);
  }

  /**
   * What was asked.
   *
   * @param repository the registry repository
   * @param reference tag or {@code sha256:} digest
   * @param devices the devices it is meant for
   * @param deadline epoch milliseconds after which no more retries are made
   */
  public record Request(String repository, String reference, List<String> devices, long deadline) {
    /** Copies the list. */
    public Request {
      devices = List.copyOf(devices);
    }
  }

  /**
   * How it ended.
   *
   * @param stored the stored version when {@code code} is empty
   * @param code empty on success, else REGISTRY_UNAVAILABLE, DOWNLOAD_FAILED, STORE_FAILED or a
   *     rejection reason (UNSIGNED, TAMPERED, UNTRUSTED_KEY, BAD_SIGNATURE, MALFORMED,
   *     PATH_TRAVERSAL)
   * @param reason the operator-facing reason, empty on success
   * @param unchanged whether that version was already the served one
   */
  public record Outcome(StoredArtifact stored, String code, String reason, boolean unchanged) {
    /** Whether the artifact is stored and served. */
    public boolean ok() {
      return code.isEmpty();
    }
  }

  private final Puller puller;
  private final BundleVerifier verifier;
  private final ArtifactStore store;
  private final int maxBytes;
  private final RetryBackoff backoff;
  private final Duration retryFor;
  private final InstantSource clock;
  private final Pause pause;

  /**
   * @param puller pulls from the registry
   * @param verifier holds the trust anchors
   * @param store where verified artifacts go
   * @param maxBytes largest accepted content
   * @param backoff delays between registry retries
   * @param retryFor how long an unreachable registry is retried
   * @param clock time
   * @param pause waits between retries
   */
  public ArtifactIntake(
      Puller puller,
      BundleVerifier verifier,
      ArtifactStore store,
      int maxBytes,
      RetryBackoff backoff,
      Duration retryFor,
      InstantSource clock,
      Pause pause) {
    this.puller = puller;
    this.verifier = verifier;
    this.store = store;
    this.maxBytes = maxBytes;
    this.backoff = backoff;
    this.retryFor = retryFor;
    this.clock = clock;
    this.pause = pause;
  }

  /** Pulls, verifies and stores; never throws for a registry or artifact problem. */
  public Outcome bring(Request request, Progress progress) throws InterruptedException {
    String source = request.repository() + ":" + request.reference();
    SignedArtifact artifact;
    try {
      progress.step("downloading", Map.of("artifact", source));
      artifact = pull(request, progress);
      progress.step("verifying", Map.of("name", artifact.name(), "digest", artifact.digest()));
      verifier.verify(artifact);
    } catch (BundleRejectedException e) {
      LOG.warnf("artifact %s rejected (%s): %s", source, e.reason(), e.getMessage());
      return failed(
          e.reason().name(),
          "artifact rejected (" + e.reason() + "): " + e.getMessage() + "; nothing stored");
    } catch (RegistryUnavailableException e) {
      return failed(
          "REGISTRY_UNAVAILABLE", "registry unreachable: " + e.getMessage() + "; nothing stored");
    } catch (IOException e) {
      return failed("DOWNLOAD_FAILED", "download failed: " + e.getMessage() + "; nothing stored");
    }
    try {
      boolean unchanged =
          store
              .current(artifact.name())
              .map(c ->
                  c.digest().equals(artifact.digest()) && c.devices().equals(request.devices()))
              .orElse(false);
      StoredArtifact stored =
          unchanged
              ? store.current(artifact.name()).orElseThrow()
              : store.store(artifact, source, request.devices(), clock.millis());
      LOG.infof(
          "artifact %s %s (%d bytes) from %s %s",
          stored.name(),
          stored.digest(),
          stored.size(),
          source,
          unchanged ? "already served" : "stored");
      return new Outcome(stored, "", "", unchanged);
    } catch (IOException e) {
      LOG.errorf("storing artifact %s failed: %s", source, e.getMessage());
      return failed(
          "STORE_FAILED",
          "storing failed: " + e.getMessage() + "; the previous version is still served");
    }
  }

  private SignedArtifact pull(Request request, Progress progress)
      throws IOException, BundleRejectedException, InterruptedException {
    long giveUp = Math.min(request.deadline(), clock.millis() + retryFor.toMillis());
    for (int attempt = 1; ; attempt++) {
      try {
        return puller.pull(request.repository(), request.reference(), maxBytes);
      } catch (RegistryUnavailableException e) {
        Duration delay = backoff.delay(attempt);
        if (clock.millis() + delay.toMillis() > giveUp) {
          throw new RegistryUnavailableException(
              e.getMessage() + " (gave up after " + attempt + " attempts)", e);
        }
        LOG.warnf(
            "registry unreachable (%s); attempt %d, retrying in %s",
            e.getMessage(), attempt, delay);
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("attempt", attempt);
        detail.put("retryInMillis", delay.toMillis());
        detail.put("error", String.valueOf(e.getMessage()));
        progress.step("waiting-for-registry", detail);
        pause.pause(delay);
      }
    }
  }

  private static Outcome failed(String code, String reason) {
    return new Outcome(null, code, reason, false);
  }
}
