package io.edgegw.uplink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgegw.contracts.Status;
import io.edgegw.contracts.Topics;
import io.edgegw.testsupport.BusObserver;
import io.edgegw.testsupport.CloudApplication;
import io.edgegw.testsupport.MosquittoBroker;
import io.edgegw.testsupport.PostgresServer;
import io.edgegw.testsupport.ServiceProcess;
import io.edgegw.testsupport.TestPki;
import io.edgegw.uplink.outbox.CloudMessage;
import io.edgegw.uplink.outbox.MessageCodec;
import io.edgegw.uplink.outbox.TestOutbox;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue #4's outage test: the cloud broker is stopped while data flows, for most of a compressed
 * plant hour, then restored while data keeps flowing.
 *
 * <p>The plant: {@value #SERIES} series at 1 Hz. A writer thread commits every {@link
 * #COMMIT_EVERY} the next {@value #PLANT_SECONDS_PER_COMMIT} plant seconds of every series in one
 * transaction, as buffer-service does, so a plant hour is {@value #HOUR_COMMITS} commits (36 s).
 * The cloud is up for plant minutes 0-5, down for minutes 5-50, and up again from minute 50; the
 * writer goes on until every sample committed before the restore is at the cloud, and at least to
 * the end of the hour.
 *
 * <p>Above the last acknowledged live position, backfill plans each commit alone (so that a resend
 * keeps the keys of the first sending), so the backlog is about {@value #OUTAGE_COMMITS} messages
 * and drains at {@value #RATE} messages/s in about half a minute, while live messages keep flowing.
 *
 * <p>Two cloud clients: the "cloud application" with a persistent session, which misses nothing and
 * counts every sample once after dedup by key; and a meter with a clean session, which gets each
 * message as the broker forwards it, never a burst queued while it was away, and so gives the
 * arrival times the rate and latency are measured on.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class UplinkOutageProcessIT {
  static final String ROOT = "edgegw/gw-1";
  static final int SERIES = 10;
  static final int PLANT_SECONDS_PER_COMMIT = 10;
  static final Duration COMMIT_EVERY = Duration.ofMillis(100);
  static final int HOUR_COMMITS = 3600 / PLANT_SECONDS_PER_COMMIT;
  static final int OUTAGE_FROM_COMMIT = HOUR_COMMITS * 5 / 60;
  static final int OUTAGE_TO_COMMIT = HOUR_COMMITS * 50 / 60;
  static final int OUTAGE_COMMITS = OUTAGE_TO_COMMIT - OUTAGE_FROM_COMMIT;

  /** {@code uplink.backfill.messages-per-second}. */
  static final int RATE = 10;

  /** DeliveryScheduler's message bucket holds one second of tokens: capacity = rate. */
  static final int BURST = RATE;

  /** Messages of slack for arrival-time jitter in the 1 s window check. */
  static final int JITTER = 2;

  static final Duration LIVE_LATENCY_BOUND = Duration.ofSeconds(2).plus(UplinkLaunch.LIVE_POLL);
  static final MessageCodec MESSAGES = new MessageCodec(Integer.MAX_VALUE);

  static TestPki pki;
  static PostgresServer pg;
  static DataSource ds;
  static MosquittoBroker local;
  static MosquittoBroker cloud;
  static CloudApplication cloudApp;
  static CloudApplication meter;
  static BusObserver operator;
  static ServiceProcess uplink;

  /** The writer's state: what it committed and when. */
  static final Queue<String> committed = new ConcurrentLinkedQueue<>();

  static final Map<Long, Long> committedAtNanos = new ConcurrentHashMap<>();
  static final AtomicReference<Throwable> writerFailure = new AtomicReference<>();
  static long plantTime = 1_780_000_000_000L;

  @BeforeAll
  static void start() throws Exception {
    pki = TestPki.create();
    TestPki.Issued server = pki.server("127.0.0.1");
    TestPki.Issued gateway = pki.client("gw-1");
    pg = PostgresServer.start();
    ds = TestOutbox.create(pg);
    local = MosquittoBroker.builder().withUser("uplink").withUser("operator").start();
    cloud =
        MosquittoBroker.builder()
            .tls(pki.ca().certFile(), server.certFile(), server.keyFile(), true)
            .start();
    cloudApp =
        CloudApplication.connect(
            pki, pki.client("cloud-app"), "cloud-app", cloud.port(), ROOT + "/telemetry", true);
    meter =
        CloudApplication.connect(
            pki, pki.client("cloud-meter"), "cloud-meter", cloud.port(), ROOT + "/#", false);
    operator =
        new BusObserver(
            local.port(), "operator", local.password("operator"), "it-operator", "gw/v1/#");
    uplink =
        UplinkLaunch.uplink(pki, gateway, cloud, local, pg, ds)
            .property("uplink.backfill.messages-per-second", String.valueOf(RATE))
            .property("uplink.backfill.samples-per-message", String.valueOf(SERIES * 10))
            .start();
    uplink.awaitReady();
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable c :
        new AutoCloseable[] {cloudApp, meter, uplink, operator, cloud, local, pg, pki}) {
      if (c != null) {
        c.close();
      }
    }
  }

  @Test
  void afterAnOutageEverySampleArrivesOnceBackfillKeepsItsRateAndLiveItsLatency() throws Exception {
    await("link ONLINE").atMost(Duration.ofSeconds(30)).until(() -> "ONLINE".equals(link()));
    ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor();
    writer.scheduleAtFixedRate(
        UplinkOutageProcessIT::commitNextPlantSeconds,
        0,
        COMMIT_EVERY.toMillis(),
        TimeUnit.MILLISECONDS);
    try {
      awaitCommits(OUTAGE_FROM_COMMIT);
      cloud.stop();
      await("link OFFLINE")
          .atMost(UplinkLaunch.OFFLINE_AFTER.plusSeconds(7))
          .until(() -> "OFFLINE".equals(link()));
      awaitCommits(OUTAGE_TO_COMMIT);
      assertThat(link()).isEqualTo("OFFLINE");
      cloud.resume();
      // Backfill covers what was committed before the session came back: at least this much.
      List<String> beforeRestore = List.copyOf(committed);
      await("the outage's backlog at the cloud")
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofSeconds(1))
          .until(() -> samplesAtCloud().containsAll(beforeRestore));
      // The link clears to ONLINE, and the outage is reported, while new data keeps coming: live
      // commits in transit are not a backlog.
      await("link ONLINE while data keeps flowing")
          .atMost(Duration.ofSeconds(30))
          .until(() -> "ONLINE".equals(link()));
      await("the outage reported while data keeps flowing")
          .atMost(Duration.ofSeconds(30))
          .until(() -> meter.received().stream().anyMatch(r -> r.topic().equals(ROOT + "/outage")));
      int commitsWhenOnline = committedAtNanos.size();
      awaitCommits(Math.max(HOUR_COMMITS, commitsWhenOnline + 20));
      assertThat(link()).as("the link after 20 more commits").isEqualTo("ONLINE");
    } finally {
      writer.shutdown();
      assertThat(writer.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(writerFailure.get()).isNull();
    int samples = committed.size();
    await("every committed sample at the cloud application")
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> samplesAtCloud().containsAll(committed));

    // 1. Every sample exactly once after dedup by key.
    Map<String, Integer> byKey = new HashMap<>();
    Map<String, Integer> sampleCount = new HashMap<>();
    for (CloudApplication.Received r : cloudApp.received()) {
      CloudMessage.Telemetry m = MESSAGES.decodeTelemetry(r.payload(), r.contentType());
      if (byKey.merge(m.key(), 1, Integer::sum) == 1) {
        for (CloudMessage.Sample s : m.samples()) {
          sampleCount.merge(s.device() + "/" + s.tag() + "@" + s.t(), 1, Integer::sum);
        }
      }
    }
    int duplicateMessages = byKey.values().stream().mapToInt(n -> n - 1).sum();
    Set<String> expected = new HashSet<>(committed);
    assertThat(expected).hasSize(samples);
    List<String> missing = expected.stream().filter(s -> !sampleCount.containsKey(s)).toList();
    List<String> unexpected =
        sampleCount.keySet().stream().filter(s -> !expected.contains(s)).toList();
    List<String> twice =
        sampleCount.entrySet().stream()
            .filter(e -> e.getValue() > 1)
            .map(Map.Entry::getKey)
            .toList();

    // 2. The backfill rate, from the meter's arrival times.
    List<Long> backfill = new ArrayList<>();
    List<CloudApplication.Received> live = new ArrayList<>();
    for (CloudApplication.Received r : meter.received()) {
      if (r.topic().equals(ROOT + "/telemetry")) {
        switch (r.properties().get("lane")) {
          case "backfill" -> backfill.add(r.atNanos());
          case "live" -> live.add(r);
          default -> throw new AssertionError("lane " + r.properties());
        }
      }
    }
    backfill.sort(null);
    int maxInOneSecond = 0;
    for (int i = 0, j = 0; i < backfill.size(); i++) {
      while (j < backfill.size() && backfill.get(j) - backfill.get(i) < 1_000_000_000L) {
        j++;
      }
      maxInOneSecond = Math.max(maxInOneSecond, j - i);
    }
    double drainSeconds = backfill.isEmpty() ? 0 : (backfill.getLast() - backfill.getFirst()) / 1e9;
    // A full bucket lets BURST go at once; after that the bucket's refill is the limit.
    double rateAfterBurst = drainSeconds == 0 ? 0 : (backfill.size() - BURST) / drainSeconds;

    // 3. Live latency while backfill drains: from the commit (test clock) to the meter.
    long liveDuringBackfill = 0;
    long maxLatencyNanos = 0;
    for (CloudApplication.Received r : live) {
      if (!backfill.isEmpty()
          && r.atNanos() >= backfill.getFirst()
          && r.atNanos() <= backfill.getLast()) {
        CloudMessage.Telemetry m = MESSAGES.decodeTelemetry(r.payload(), r.contentType());
        Long committedAt = committedAtNanos.get(m.fromSeq());
        assertThat(committedAt).as("commit time of seq %d", m.fromSeq()).isNotNull();
        maxLatencyNanos = Math.max(maxLatencyNanos, r.atNanos() - committedAt);
        liveDuringBackfill++;
      }
    }

    System.out.printf(
        "outage: link %s at the end, outage report %s; %d commits, %d samples, %d messages at the cloud application (%d duplicates by"
            + " key); missing %d, unexpected %d, twice after dedup %d; backfill %d messages at the"
            + " meter over %.1f s, max %d in any 1 s window, %.2f/s after the burst; %d live"
            + " messages during backfill, live latency max %d ms%n",
        link(),
        meter.received().stream().anyMatch(r -> r.topic().equals(ROOT + "/outage"))
            ? "received"
            : "not received",
        committedAtNanos.size(),
        samples,
        cloudApp.received().size(),
        duplicateMessages,
        missing.size(),
        unexpected.size(),
        twice.size(),
        backfill.size(),
        drainSeconds,
        maxInOneSecond,
        rateAfterBurst,
        liveDuringBackfill,
        TimeUnit.NANOSECONDS.toMillis(maxLatencyNanos));

    assertThat(missing).as("samples missing at the cloud").isEmpty();
    assertThat(unexpected).as("samples at the cloud that were never committed").isEmpty();
    assertThat(twice).as("samples twice at the cloud after dedup by key").isEmpty();

    assertThat(backfill.size()).as("backfill messages").isGreaterThan(OUTAGE_COMMITS / 2);
    // The bucket lets at most BURST + RATE go in one second, and runs reached exactly that. The
    // times are taken at the cloud side, where the network can bunch messages by a few tens of
    // milliseconds: JITTER messages (200 ms at this rate) of slack keep that from failing the test,
    // while a bucket that let through even one more second's worth would still fail it.
    assertThat(maxInOneSecond)
        .as("backfill messages in any 1 s")
        .isLessThanOrEqualTo(RATE + BURST + JITTER);
    assertThat(rateAfterBurst)
        .as("backfill messages/s over the drain")
        .isLessThanOrEqualTo(RATE * 1.05);

    assertThat(liveDuringBackfill).as("live messages during backfill").isGreaterThan(50);
    assertThat(Duration.ofNanos(maxLatencyNanos))
        .as("live latency during backfill")
        .isLessThan(LIVE_LATENCY_BOUND);
  }

  /** One commit: the next plant seconds of every series; keeps its samples and commit time. */
  static void commitNextPlantSeconds() {
    try {
      List<TestOutbox.Row> rows = new ArrayList<>();
      List<String> names = new ArrayList<>();
      for (int s = 0; s < SERIES; s++) {
        for (int k = 0; k < PLANT_SECONDS_PER_COMMIT; k++) {
          long t = plantTime + k * 1000L;
          rows.add(new TestOutbox.Row("plant", "s" + s, t, s * 1000 + k));
          names.add("plant/s" + s + "@" + t);
        }
      }
      long seq = TestOutbox.commit(ds, rows, List.of());
      committedAtNanos.put(seq, System.nanoTime());
      committed.addAll(names);
      plantTime += PLANT_SECONDS_PER_COMMIT * 1000L;
    } catch (Exception | Error e) {
      writerFailure.compareAndSet(null, e);
      throw new IllegalStateException(e);
    }
  }

  static void awaitCommits(int n) {
    await(n + " commits written")
        .atMost(COMMIT_EVERY.multipliedBy(n).plusSeconds(30))
        .until(() -> writerFailure.get() != null || committedAtNanos.size() >= n);
    assertThat(writerFailure.get()).isNull();
  }

  /** The samples the cloud application holds, as device/tag@t. */
  static Set<String> samplesAtCloud() {
    Set<String> samples = new HashSet<>();
    for (CloudApplication.Received r : cloudApp.received()) {
      for (CloudMessage.Sample s :
          MESSAGES.decodeTelemetry(r.payload(), r.contentType()).samples()) {
        samples.add(s.device() + "/" + s.tag() + "@" + s.t());
      }
    }
    return samples;
  }

  static String link() {
    List<BusObserver.Received> statuses = operator.on(Topics.status("uplink"));
    return statuses.isEmpty()
        ? null
        : String.valueOf(statuses.getLast().as(Status.class).detail().get("link"));
  }
}
