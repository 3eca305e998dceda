package io.edgegw.ota.artifact;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgegw.bundle.BundleSigner;
import io.edgegw.bundle.BundleVerifier;
import io.edgegw.bundle.Keys;
import io.edgegw.bundle.RegistryUnavailableException;
import io.edgegw.bundle.SignedArtifact;
import io.edgegw.ota.update.RetryBackoff;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArtifactIntakeTest {
  private static final KeyPair TRUSTED = Keys.generate();
  private static final BundleSigner SIGNER = new BundleSigner(TRUSTED);
  private static final BundleSigner STRANGER = new BundleSigner(Keys.generate());

  @TempDir Path dir;
  private final AtomicLong now = new AtomicLong(1_000_000);
  private final InstantSource clock = () -> Instant.ofEpochMilli(now.get());
  private final List<Duration> pauses = new ArrayList<>();
  private final List<String> steps = new ArrayList<>();
  private ArtifactStore store;
  private SignedArtifact next;
  private int unavailableTimes;
  private final AtomicInteger pulls = new AtomicInteger();

  @BeforeEach
  void setUp() throws Exception {
    store = new ArtifactStore(dir, 3);
  }

  private ArtifactIntake intake() {
    return new ArtifactIntake(
        (repo, ref, max) -> {
          pulls.incrementAndGet();
          if (unavailableTimes-- > 0) {
            throw new RegistryUnavailableException("connection refused");
          }
          return next;
        },
        new BundleVerifier(List.of(TRUSTED.getPublic())),
        store,
        1024,
        new RetryBackoff(Duration.ofSeconds(1), Duration.ofSeconds(4)),
        Duration.ofSeconds(10),
        clock,
        d -> {
          pauses.add(d);
          now.addAndGet(d.toMillis());
        });
  }

  private ArtifactIntake.Outcome bring(SignedArtifact a) throws Exception {
    next = a;
    return intake()
        .bring(
            new ArtifactIntake.Request("edgegw/fw", "1", List.of("plc-1"), Long.MAX_VALUE),
            (step, detail) -> steps.add(step));
  }

  private static SignedArtifact fw(String content) {
    return SignedArtifact.of(
        "fw.bin", "application/octet-stream", content.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aSignedArtifactIsStoredAndServed() throws Exception {
    SignedArtifact a = SIGNER.sign(fw("v1"));
    ArtifactIntake.Outcome o = bring(a);
    assertThat(o.ok()).as(o.reason()).isTrue();
    assertThat(o.stored().digest()).isEqualTo(a.digest());
    assertThat(o.stored().devices()).containsExactly("plc-1");
    assertThat(store.current("fw.bin").orElseThrow().digest()).isEqualTo(a.digest());
    assertThat(steps).containsExactly("downloading", "verifying");
    ArtifactIntake.Outcome again = bring(a);
    assertThat(again.unchanged()).isTrue();
  }

  @Test
  void rejectedArtifactsStoreNothingAndKeepThePreviousServed() throws Exception {
    SignedArtifact good = SIGNER.sign(fw("v1"));
    bring(good);
    SignedArtifact tampered =
        new SignedArtifact(
            "fw.bin",
            "application/octet-stream",
            "v2-evil".getBytes(StandardCharsets.UTF_8),
            good.signature());
    SignedArtifact renamed =
        new SignedArtifact(
            "other.bin", "application/octet-stream", good.content(), good.signature());
    assertRejected(tampered, "TAMPERED");
    assertRejected(renamed, "TAMPERED");
    assertRejected(STRANGER.sign(fw("v2")), "UNTRUSTED_KEY");
    assertRejected(fw("v2"), "UNSIGNED");
    assertRejected(
        fw("v2").withSignature("not json".getBytes(StandardCharsets.UTF_8)), "MALFORMED");
    assertThat(store.current("fw.bin").orElseThrow().digest()).isEqualTo(good.digest());
    assertThat(store.versions("fw.bin")).hasSize(1);
    assertThat(store.current("other.bin")).isEmpty();
    try (var names = Files.list(dir)) {
      assertThat(names.map(p -> p.getFileName().toString())).containsExactly("fw.bin");
    }
  }

  private void assertRejected(SignedArtifact a, String code) throws Exception {
    ArtifactIntake.Outcome o = bring(a);
    assertThat(o.ok()).isFalse();
    assertThat(o.code()).as(o.reason()).isEqualTo(code);
    assertThat(o.reason()).contains("nothing stored");
  }

  @Test
  void anUnreachableRegistryIsRetriedWithBackoff() throws Exception {
    unavailableTimes = 2;
    ArtifactIntake.Outcome o = bring(SIGNER.sign(fw("v1")));
    assertThat(o.ok()).as(o.reason()).isTrue();
    assertThat(pauses).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2));
    assertThat(steps)
        .containsSubsequence("waiting-for-registry", "waiting-for-registry", "verifying");
  }

  @Test
  void anUnreachableRegistryIsGivenUpAfterRetryForAndNothingStored() throws Exception {
    unavailableTimes = 100;
    ArtifactIntake.Outcome o = bring(SIGNER.sign(fw("v1")));
    assertThat(o.code()).isEqualTo("REGISTRY_UNAVAILABLE");
    assertThat(o.reason()).contains("gave up after 4 attempts").contains("nothing stored");
    assertThat(pauses)
        .containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4));
    assertThat(store.current("fw.bin")).isEmpty();
  }
}
