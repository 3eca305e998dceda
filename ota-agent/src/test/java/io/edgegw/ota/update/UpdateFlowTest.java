package io.edgegw.ota.update;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgegw.ota.bundle.BundleCheck;
import io.edgegw.ota.bundle.BundleInfo;
import io.edgegw.ota.bundle.BundleRejectedException;
import io.edgegw.ota.bundle.BundleSource;
import io.edgegw.ota.bundle.RegistryUnavailableException;
import io.edgegw.ota.stack.Stack;
import java.io.IOException;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The update flow's decisions with a recording stack and in-memory bundles; no podman. */
class UpdateFlowTest {
  @TempDir Path state;
  private final AtomicLong now = new AtomicLong(1_800_000_000_000L);
  private final InstantSource clock = () -> Instant.ofEpochMilli(now.get());
  private final List<String> calls = new ArrayList<>();
  private final Set<String> unhealthy = new HashSet<>();
  private final AtomicInteger registryDownFor = new AtomicInteger();
  private StateStore store;
  private UpdateFlow flow;

  /** The fake registry: reference "X.Y.Z" is a bundle of that version; "bad-*" is rejected. */
  private final BundleSource source =
      (repository, reference, dir) -> {
        if (registryDownFor.getAndDecrement() > 0) {
          throw new RegistryUnavailableException("connection refused", new ConnectException());
        }
        Files.writeString(dir.resolve("bundle.txt"), reference);
      };

  private final BundleCheck check =
      new BundleCheck() {
        @Override
        public BundleInfo verify(Path dir) throws IOException, BundleRejectedException {
          String ref = Files.readString(dir.resolve("bundle.txt"));
          if (ref.startsWith("bad-")) {
            throw new BundleRejectedException(ref.substring(4), "signature does not verify");
          }
          String compose = "services:\n  web:\n    image: reg/web@sha256:" + "a".repeat(64) + "\n";
          return new BundleInfo(
              ref,
              "0.1.0",
              "sha256:" + ref.replace('.', 'f') + "0".repeat(20),
              List.of("web"),
              Map.of("web", "status"),
              compose.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public int compareVersions(String a, String b) {
          return io.edgegw.bundle.Versions.compare(a, b);
        }
      };

  private final Stack stack =
      new Stack() {
        @Override
        public void pull(List<String> images) {
          calls.add("pull " + images.size());
        }

        @Override
        public void up(Path composeFile) {
          calls.add("up " + composeFile.getParent().getFileName());
        }

        @Override
        public void down(Path composeFile) {
          calls.add("down " + composeFile.getParent().getFileName());
        }

        @Override
        public void restart(String service) {}

        @Override
        public void restartAll() {}

        @Override
        public Map<String, Boolean> services() {
          return Map.of("web", true);
        }
      };

  @BeforeEach
  void setUp() throws IOException {
    store = new StateStore(state, 2);
    HealthGate.Pause pause = d -> now.addAndGet(d.toMillis());
    flow =
        new UpdateFlow(
            store,
            source,
            check,
            new VersionPolicy(check::compareVersions, "0.1.0"),
            stack,
            new HealthGate(
                clock, pause, Duration.ofSeconds(5), Duration.ofSeconds(20), Duration.ofSeconds(1)),
            (bundle, appliedAt) ->
                () -> unhealthy.contains(bundle.version()) ? List.of("web: 503") : List.of(),
            new RetryBackoff(Duration.ofSeconds(1), Duration.ofSeconds(8)),
            Duration.ofMinutes(1),
            clock,
            pause);
  }

  private UpdateFlow.Outcome deploy(String reference) throws InterruptedException {
    return flow.deploy(
        new UpdateFlow.Request(
            "c-" + reference, "gw/v1/reply/c", "edgegw/bundle", reference, now.get() + 3_600_000),
        (step, detail) -> calls.add("step " + step));
  }

  private static String dir(String version) {
    return StateStore.directoryName(
        version, "sha256:" + version.replace('.', 'f') + "0".repeat(20));
  }

  @Test
  void updatesCommitAndTheHistoryKeepsK() throws Exception {
    assertThat(deploy("1.0.0").ok()).isTrue();
    assertThat(deploy("2.0.0").ok()).isTrue();
    assertThat(calls).containsSubsequence("down " + dir("1.0.0"), "up " + dir("2.0.0"));
    UpdateFlow.Outcome third = deploy("3.0.0");
    assertThat(third.ok()).isTrue();
    assertThat(third.result()).containsEntry("previous", "2.0.0");
    StateStore.Installed installed = store.installed();
    assertThat(installed.current().version()).isEqualTo("3.0.0");
    assertThat(installed.history())
        .extracting(InstalledBundle::version)
        .containsExactly("3.0.0", "2.0.0");
    assertThat(state.resolve("bundles").resolve(dir("1.0.0"))).doesNotExist();
    assertThat(store.journal()).isEmpty();
  }

  @Test
  void anUnhealthyUpdateRollsBackToThePreviousBundle() throws Exception {
    deploy("1.0.0");
    unhealthy.add("2.0.0");
    calls.clear();
    UpdateFlow.Outcome o = deploy("2.0.0");
    assertThat(o.ok()).isFalse();
    assertThat(o.reason())
        .contains("health gate failed for 2.0.0: web: 503")
        .contains("rolled back to 1.0.0, which is healthy");
    assertThat(calls)
        .containsSubsequence(
            "down " + dir("1.0.0"),
            "up " + dir("2.0.0"),
            "down " + dir("2.0.0"),
            "up " + dir("1.0.0"));
    assertThat(store.installed().current().version()).isEqualTo("1.0.0");
    assertThat(state.resolve("bundles").resolve(dir("2.0.0"))).doesNotExist();
  }

  @Test
  void versionsOnlyGoUpExceptBackToABundleInstalledHere() throws Exception {
    deploy("1.0.0");
    deploy("2.0.0");
    calls.clear();
    UpdateFlow.Outcome older = deploy("0.5.0");
    assertThat(older.ok()).isFalse();
    assertThat(older.result()).containsEntry("code", "DOWNGRADE");
    assertThat(calls)
        .noneMatch(c -> c.startsWith("up") || c.startsWith("down") || c.startsWith("pull"));
    assertThat(deploy("1.0.0").ok()).as("back to a bundle installed before").isTrue();
    assertThat(deploy("1.0.0").result()).containsEntry("unchanged", true);
  }

  @Test
  void aRejectedBundleChangesNothing() throws Exception {
    deploy("1.0.0");
    calls.clear();
    UpdateFlow.Outcome o = deploy("bad-BAD_SIGNATURE");
    assertThat(o.ok()).isFalse();
    assertThat(o.result()).containsEntry("code", "BAD_SIGNATURE");
    assertThat(o.reason()).contains("nothing changed");
    assertThat(calls)
        .noneMatch(c -> c.startsWith("up") || c.startsWith("down") || c.startsWith("pull"));
    assertThat(store.installed().current().version()).isEqualTo("1.0.0");
    assertThat(Files.list(state.resolve("incoming"))).isEmpty();
  }

  @Test
  void aDownRegistryIsRetriedWithBackoffThenGivenUpWithNothingChanged() throws Exception {
    registryDownFor.set(1000);
    long start = now.get();
    UpdateFlow.Outcome o = deploy("1.0.0");
    assertThat(o.ok()).isFalse();
    assertThat(o.result()).containsEntry("code", "REGISTRY_UNAVAILABLE");
    assertThat(calls.stream().filter("step waiting-for-registry"::equals).count()).isGreaterThan(5);
    // 1 + 2 + 4 + 8 + 8 ... up to the one-minute budget
    assertThat(now.get() - start).isBetween(50_000L, 60_000L);
    assertThat(calls).noneMatch(c -> c.startsWith("up") || c.startsWith("pull"));
    assertThat(store.installed().current()).isNull();
  }

  @Test
  void aRegistryBackInTimeLetsTheUpdateThrough() throws Exception {
    registryDownFor.set(3);
    assertThat(deploy("1.0.0").ok()).isTrue();
  }

  @Test
  void recoveryRollsBackAnUpdateCutWhileApplying() throws Exception {
    deploy("1.0.0");
    InstalledBundle v1 = store.installed().current();
    // what a killed agent leaves: v2 staged, journal at APPLYING
    Path staged = store.incoming("c-2");
    Files.writeString(staged.resolve("bundle.txt"), "2.0.0");
    store.stage(staged, dir("2.0.0"));
    InstalledBundle v2 = new InstalledBundle("2.0.0", "sha256:x", dir("2.0.0"), now.get(), "c-2");
    store.writeJournal(new Journal("c-2", "gw/v1/reply/c-2", v2, v1, Journal.Step.APPLYING));
    calls.clear();
    UpdateFlow.Outcome o = flow.recover((s, d) -> {}).orElseThrow();
    assertThat(o.ok()).isFalse();
    assertThat(o.replyTo()).isEqualTo("gw/v1/reply/c-2");
    assertThat(o.reason())
        .contains("the agent stopped while applying 2.0.0")
        .contains("rolled back to 1.0.0");
    assertThat(calls).containsExactly("down " + dir("2.0.0"), "up " + dir("1.0.0"));
    assertThat(store.journal()).isEmpty();
    assertThat(store.installed().current().version()).isEqualTo("1.0.0");
  }

  @Test
  void recoveryFinishesAnUpdateCutDuringTheHealthGate() throws Exception {
    deploy("1.0.0");
    InstalledBundle v1 = store.installed().current();
    Path staged = store.incoming("c-2");
    Files.writeString(staged.resolve("bundle.txt"), "2.0.0");
    store.stage(staged, dir("2.0.0"));
    InstalledBundle v2 = new InstalledBundle("2.0.0", "sha256:x", dir("2.0.0"), now.get(), "c-2");
    store.writeJournal(new Journal("c-2", "gw/v1/reply/c-2", v2, v1, Journal.Step.HEALTH_GATE));
    UpdateFlow.Outcome o = flow.recover((s, d) -> {}).orElseThrow();
    assertThat(o.ok()).isTrue();
    assertThat(store.installed().current().version()).isEqualTo("2.0.0");
    assertThat(store.installed().everInstalled()).hasSize(2);
  }

  @Test
  void noNewUpdateOnTopOfAnUnfinishedOne() throws Exception {
    deploy("1.0.0");
    InstalledBundle v2 = new InstalledBundle("2.0.0", "sha256:x", dir("2.0.0"), now.get(), "c-2");
    store.writeJournal(
        new Journal(
            "c-2", "gw/v1/reply/c-2", v2, store.installed().current(), Journal.Step.ROLLING_BACK));
    calls.clear();
    UpdateFlow.Outcome o = deploy("3.0.0");
    assertThat(o.ok()).isFalse();
    assertThat(o.result()).containsEntry("code", "UNFINISHED_UPDATE");
    assertThat(o.reason()).contains("c-2").contains("ROLLING_BACK");
    assertThat(calls).isEmpty();
  }

  @Test
  void recoveryDropsAnUpdateCutBeforeApplying() throws Exception {
    InstalledBundle v2 = new InstalledBundle("2.0.0", "sha256:x", dir("2.0.0"), now.get(), "c-2");
    store.writeJournal(new Journal("c-2", "gw/v1/reply/c-2", v2, null, Journal.Step.PULLING));
    UpdateFlow.Outcome o = flow.recover((s, d) -> {}).orElseThrow();
    assertThat(o.ok()).isFalse();
    assertThat(o.reason()).contains("nothing was changed");
    assertThat(calls).isEmpty();
    assertThat(flow.recover((s, d) -> {})).isEmpty();
  }
}
