package io.edgegw.ota.update;

import io.edgegw.ota.bundle.BundleCheck;
import io.edgegw.ota.bundle.BundleInfo;
import io.edgegw.ota.bundle.BundleRejectedException;
import io.edgegw.ota.bundle.BundleSource;
import io.edgegw.ota.bundle.RegistryUnavailableException;
import io.edgegw.ota.stack.Stack;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import org.jboss.logging.Logger;

/**
 * One bundle update, step by step: download (retrying while the registry is down), verify, check
 * the version, pull the images, apply, health gate, then commit or roll back to the previous
 * bundle. Before each step that can change the stack the {@link Journal} is written, so {@link
 * #recover} can finish or undo an update that a killed agent left behind. One update at a time.
 */
public final class UpdateFlow {
  private static final Logger LOG = Logger.getLogger(UpdateFlow.class);
  private static final String COMPOSE_FILE = "compose.yaml";
  private static final int PULL_ATTEMPTS = 3;

  /**
   * A deploy command.
   *
   * @param commandId its id
   * @param replyTo its reply topic
   * @param repository registry repository of the bundle
   * @param reference tag or digest of the bundle
   * @param deadline epoch ms after which the download is not retried any more
   */
  public record Request(
      String commandId, String replyTo, String repository, String reference, long deadline) {}

  /** Progress reports, for the reply topic and the agent's status. */
  @FunctionalInterface
  public interface Progress {
    void step(String step, Map<String, Object> detail);
  }

  /** Builds the health probe of an applied bundle. */
  @FunctionalInterface
  public interface ProbeFactory {
    HealthGate.Probe forBundle(BundleInfo bundle, long appliedAt);
  }

  /**
   * How an update ended.
   *
   * @param commandId the command
   * @param replyTo where to answer
   * @param ok whether the requested bundle is installed
   * @param reason why not, for the operator
   * @param result facts: versions, rejection code, rollback
   */
  public record Outcome(
      String commandId, String replyTo, boolean ok, String reason, Map<String, Object> result) {
    public Outcome {
      result = Map.copyOf(result);
    }
  }

  private final StateStore store;
  private final BundleSource source;
  private final BundleCheck check;
  private final VersionPolicy policy;
  private final Stack stack;
  private final HealthGate gate;
  private final ProbeFactory probes;
  private final RetryBackoff backoff;
  private final Duration retryFor;
  private final InstantSource clock;
  private final HealthGate.Pause pause;
  private final ReentrantLock lock = new ReentrantLock();

  public UpdateFlow(
      StateStore store,
      BundleSource source,
      BundleCheck check,
      VersionPolicy policy,
      Stack stack,
      HealthGate gate,
      ProbeFactory probes,
      RetryBackoff backoff,
      Duration retryFor,
      InstantSource clock,
      HealthGate.Pause pause) {
    this.store = store;
    this.source = source;
    this.check = check;
    this.policy = policy;
    this.stack = stack;
    this.gate = gate;
    this.probes = probes;
    this.backoff = backoff;
    this.retryFor = retryFor;
    this.clock = clock;
    this.pause = pause;
  }

  /** Whether an update runs now. */
  public boolean busy() {
    return lock.isLocked();
  }

  /** Runs the update of {@code request}; refuses at once while another one runs. */
  public Outcome deploy(Request request, Progress progress) throws InterruptedException {
    if (!lock.tryLock()) {
      return failed(request, "BUSY", "another update is in progress; nothing changed", Map.of());
    }
    try {
      return runDeploy(request, progress);
    } catch (IOException e) {
      LOG.errorf(e, "update %s failed", request.commandId());
      return failed(request, "FAILED", "update failed: " + e.getMessage(), Map.of());
    } finally {
      try {
        store.clearIncoming();
      } catch (IOException e) {
        LOG.warnf("cannot clear the download directory: %s", e.getMessage());
      }
      lock.unlock();
    }
  }

  private Outcome runDeploy(Request request, Progress progress)
      throws IOException, InterruptedException {
    Optional<Journal> unfinished = store.journal();
    if (unfinished.isPresent()) {
      // A rollback that failed half-way left its journal; a new update on top would lose track
      // of what runs. The agent's start retries the recovery.
      Journal j = unfinished.get();
      return failed(
          request,
          "UNFINISHED_UPDATE",
          "the update "
              + j.commandId()
              + " to "
              + j.target().version()
              + " did not finish (step "
              + j.step()
              + "); restart the agent to recover it first; nothing changed",
          Map.of());
    }
    StateStore.Installed installed = store.installed();
    Path incoming = store.incoming(request.commandId());
    String ref = request.repository() + ":" + request.reference();
    BundleInfo info;
    VersionPolicy.Decision decision;
    try {
      progress.step("downloading", Map.of("bundle", ref));
      download(request, incoming, progress);
      progress.step("verifying", Map.of("bundle", ref));
      info = check.verify(incoming);
      decision = policy.check(info, installed);
    } catch (BundleRejectedException e) {
      LOG.warnf("bundle %s rejected (%s): %s", ref, e.reason(), e.getMessage());
      return failed(
          request,
          e.reason(),
          "bundle rejected (" + e.reason() + "): " + e.getMessage() + "; nothing changed",
          Map.of("rejected", e.reason()));
    } catch (RegistryUnavailableException e) {
      return failed(
          request,
          "REGISTRY_UNAVAILABLE",
          "registry unreachable: " + e.getMessage() + "; nothing changed",
          Map.of());
    } catch (IOException e) {
      return failed(
          request,
          "DOWNLOAD_FAILED",
          "download failed: " + e.getMessage() + "; nothing changed",
          Map.of());
    }
    if (decision == VersionPolicy.Decision.ALREADY_INSTALLED) {
      return ok(request, Map.of("version", info.version(), "unchanged", true));
    }
    List<String> images;
    try {
      images = ComposeImages.of(info.compose());
    } catch (IllegalArgumentException e) {
      return failed(
          request,
          "MALFORMED",
          "bundle rejected (MALFORMED): " + e.getMessage(),
          Map.of("rejected", "MALFORMED"));
    }
    String name = StateStore.directoryName(info.version(), info.digest());
    store.stage(incoming, name);
    InstalledBundle target =
        new InstalledBundle(
            info.version(), info.digest(), name, clock.millis(), request.commandId());
    Journal journal =
        new Journal(
            request.commandId(),
            request.replyTo(),
            target,
            installed.current(),
            Journal.Step.PULLING);
    store.writeJournal(journal);
    progress.step("pulling", Map.of("version", info.version(), "images", images.size()));
    IOException pullFailure = null;
    for (int attempt = 1; attempt <= PULL_ATTEMPTS; attempt++) {
      try {
        stack.pull(images);
        pullFailure = null;
        break;
      } catch (IOException e) {
        pullFailure = e;
        LOG.warnf(
            "pulling the images of %s failed (attempt %d): %s", info, attempt, e.getMessage());
        if (attempt < PULL_ATTEMPTS) {
          pause.pause(backoff.delay(attempt));
        }
      }
    }
    if (pullFailure != null) {
      store.clearJournal();
      discardUnlessKept(target);
      return failed(
          request,
          "PULL_FAILED",
          "pulling the images failed: " + pullFailure.getMessage() + "; nothing changed",
          Map.of());
    }
    return applyAndGate(journal, info, progress);
  }

  private void download(Request request, Path incoming, Progress progress)
      throws IOException, BundleRejectedException, InterruptedException {
    long giveUp = Math.min(request.deadline(), clock.millis() + retryFor.toMillis());
    for (int attempt = 1; ; attempt++) {
      try {
        source.download(request.repository(), request.reference(), incoming);
        return;
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

  private Outcome applyAndGate(Journal journal, BundleInfo info, Progress progress)
      throws IOException, InterruptedException {
    store.writeJournal(journal.at(Journal.Step.APPLYING));
    progress.step("applying", Map.of("version", info.version()));
    try {
      if (journal.previous() != null) {
        stack.down(composeOf(journal.previous()));
      }
      stack.up(composeOf(journal.target()));
    } catch (IOException e) {
      LOG.errorf("applying %s failed: %s", info, e.getMessage());
      return rollBack(journal, "applying " + info.version() + " failed: " + e.getMessage());
    }
    return gateAndCommit(journal, info, progress);
  }

  private Outcome gateAndCommit(Journal journal, BundleInfo info, Progress progress)
      throws IOException, InterruptedException {
    store.writeJournal(journal.at(Journal.Step.HEALTH_GATE));
    progress.step("health-gate", Map.of("version", info.version()));
    HealthGate.Verdict verdict = gate.await(probes.forBundle(info, clock.millis()));
    if (!verdict.passed()) {
      LOG.warnf("%s failed its health gate: %s", info, verdict.problems());
      return rollBack(
          journal,
          "health gate failed for "
              + info.version()
              + ": "
              + String.join("; ", verdict.problems()));
    }
    InstalledBundle committed =
        new InstalledBundle(
            info.version(),
            info.digest(),
            journal.target().directory(),
            clock.millis(),
            journal.commandId());
    store.commit(committed);
    store.clearJournal();
    LOG.infof("%s installed and healthy", info);
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("version", info.version());
    result.put("digest", info.digest());
    if (journal.previous() != null) {
      result.put("previous", journal.previous().version());
    }
    return new Outcome(journal.commandId(), journal.replyTo(), true, "", result);
  }

  private Outcome rollBack(Journal journal, String why) throws IOException, InterruptedException {
    store.writeJournal(journal.at(Journal.Step.ROLLING_BACK));
    InstalledBundle previous = journal.previous();
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("failedVersion", journal.target().version());
    try {
      stack.down(composeOf(journal.target()));
    } catch (IOException e) {
      LOG.warnf("stopping %s failed: %s", journal.target().version(), e.getMessage());
    }
    String reason = why;
    if (previous != null) {
      result.put("rolledBackTo", previous.version());
      LOG.warnf("rolling back to %s: %s", previous.version(), why);
      stack.up(composeOf(previous));
      Optional<BundleInfo> previousInfo = verifiedQuietly(previous);
      if (previousInfo.isPresent()) {
        HealthGate.Verdict v = gate.await(probes.forBundle(previousInfo.get(), clock.millis()));
        result.put("rollbackHealthy", v.passed());
        reason +=
            "; rolled back to "
                + previous.version()
                + (v.passed() ? ", which is healthy" : ", which is NOT healthy: " + v.problems());
      } else {
        reason += "; rolled back to " + previous.version();
      }
    } else {
      reason += "; no previous bundle to roll back to, the stack is stopped";
    }
    store.clearJournal();
    discardUnlessKept(journal.target());
    return new Outcome(journal.commandId(), journal.replyTo(), false, reason, result);
  }

  /**
   * Finishes or undoes the update a previous run of the agent left: before applying, nothing
   * changed and it is dropped; while applying or rolling back, the previous bundle is put back;
   * during the health gate, the gate runs again and decides.
   *
   * @return the outcome to report to the command's reply topic, when there was such an update
   */
  public Optional<Outcome> recover(Progress progress) throws InterruptedException {
    lock.lock();
    try {
      Optional<Journal> found = store.journal();
      store.clearIncoming();
      if (found.isEmpty()) {
        return Optional.empty();
      }
      Journal j = found.get();
      LOG.warnf(
          "found the unfinished update %s to %s at step %s",
          j.commandId(), j.target().version(), j.step());
      return Optional.of(
          switch (j.step()) {
            case PULLING -> {
              store.clearJournal();
              discardUnlessKept(j.target());
              yield new Outcome(
                  j.commandId(),
                  j.replyTo(),
                  false,
                  "the agent stopped while pulling the images of "
                      + j.target().version()
                      + "; nothing was changed",
                  Map.of("failedVersion", j.target().version(), "recovered", true));
            }
            case APPLYING, ROLLING_BACK ->
                rollBack(
                    j,
                    "the agent stopped while "
                        + (j.step() == Journal.Step.APPLYING ? "applying " : "rolling back from ")
                        + j.target().version());
            case HEALTH_GATE -> {
              Optional<BundleInfo> info = verifiedQuietly(j.target());
              yield info.isPresent()
                  ? gateAndCommit(j, info.get(), progress)
                  : rollBack(j, "the staged " + j.target().version() + " no longer verifies");
            }
          });
    } catch (IOException e) {
      LOG.errorf(e, "recovering the unfinished update failed");
      return Optional.empty();
    } finally {
      lock.unlock();
    }
  }

  private Optional<BundleInfo> verifiedQuietly(InstalledBundle bundle) {
    try {
      return Optional.of(check.verify(store.bundleDirectory(bundle.directory())));
    } catch (IOException | BundleRejectedException e) {
      LOG.errorf("installed bundle %s does not verify: %s", bundle.version(), e.getMessage());
      return Optional.empty();
    }
  }

  private Path composeOf(InstalledBundle bundle) {
    return store.bundleDirectory(bundle.directory()).resolve(COMPOSE_FILE);
  }

  private void discardUnlessKept(InstalledBundle bundle) throws IOException {
    boolean kept =
        store.installed().history().stream()
            .anyMatch(h -> h.directory().equals(bundle.directory()));
    if (!kept) {
      StateStore.deleteTree(store.bundleDirectory(bundle.directory()));
    }
  }

  private static Outcome ok(Request r, Map<String, Object> result) {
    return new Outcome(r.commandId(), r.replyTo(), true, "", result);
  }

  private static Outcome failed(Request r, String code, String reason, Map<String, Object> extra) {
    Map<String, Object> result = new LinkedHashMap<>(extra);
    result.put("code", code);
    return new Outcome(r.commandId(), r.replyTo(), false, reason, result);
  }
}
