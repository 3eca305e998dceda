package io.edgegw.buffer.ingest;

import static io.edgegw.buffer.store.TestStore.scalar;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgegw.buffer.store.DayPartitions;
import io.edgegw.buffer.store.SeriesRegistry;
import io.edgegw.buffer.store.StoreMode;
import io.edgegw.buffer.store.StoreWriter;
import io.edgegw.buffer.store.StoredSample;
import io.edgegw.buffer.store.TestStore;
import io.edgegw.contracts.DeadLetter;
import io.edgegw.contracts.Quality;
import io.edgegw.contracts.Sample;
import io.edgegw.testsupport.PostgresServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The ingest loop against a real PostgreSQL: acknowledgement after commit, batching, isolation. */
class IngestWriterIT {
  static PostgresServer pg;
  static final long T0 = Instant.parse("2026-11-25T10:00:00Z").toEpochMilli();

  DataSource ds;
  SimpleMeterRegistry registry;
  List<DeadLetter> letters;
  IngestWriter writer;
  int seq;

  @BeforeAll
  static void startPostgres() {
    pg = PostgresServer.start();
  }

  @AfterAll
  static void stopPostgres() {
    pg.close();
  }

  @BeforeEach
  void fresh() throws SQLException {
    ds = TestStore.create(pg);
    registry = new SimpleMeterRegistry();
    letters = new CopyOnWriteArrayList<>();
  }

  @AfterEach
  void stop() {
    if (writer != null) {
      writer.close();
    }
  }

  IngestWriter writer(int batchRows, Duration maxDelay) {
    StoreWriter store =
        new StoreWriter(ds, StoreMode.PLAIN, new SeriesRegistry(k -> null), new DayPartitions());
    writer =
        new IngestWriter(
            store,
            l -> {
              letters.add(l);
              return CompletableFuture.completedFuture(null);
            },
            new IngestWriter.Settings(batchRows, maxDelay, 1000),
            InstantSource.fixed(Instant.ofEpochMilli(T0)),
            registry);
    return writer;
  }

  /** A message of {@code rows} samples of tag {@code tag}, counting its acknowledgement. */
  Inbound message(String tag, int rows, AtomicInteger acks) {
    List<StoredSample> samples = new ArrayList<>();
    int base = seq;
    seq += rows;
    for (int i = 0; i < rows; i++) {
      samples.add(
          StoredSample.of(
              "plc", new Sample(tag, T0 - 60_000 + base + i, (double) i, Quality.GOOD)));
    }
    return new Inbound(
        "gw/v1/telemetry/plc", samples, List.of(), List.of(), T0, acks::incrementAndGet);
  }

  @Test
  void nothingIsAcknowledgedWhileTheDatabaseIsDownAndAllOfItAfterItReturns() throws Exception {
    IngestWriter w = writer(100, Duration.ofMillis(20));
    w.start();
    pg.stop();
    AtomicInteger acks = new AtomicInteger();
    try {
      for (int i = 0; i < 5; i++) {
        w.submit(message("a", 50, acks));
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> w.storeProblem() != null);
      assertThat(w.storeProblem()).startsWith("database unavailable");
      assertThat(acks).hasValue(0);
    } finally {
      pg.resume();
    }
    await().atMost(Duration.ofSeconds(60)).untilAtomic(acks, org.hamcrest.Matchers.is(5));
    assertThat(scalar(ds, "SELECT count(*) FROM sample")).isEqualTo(250);
    assertThat(w.storeProblem()).isNull();
    assertThat(
            registry.get("buffer_store_errors_total").tag("kind", "unavailable").counter().count())
        .isPositive();
  }

  @Test
  void aMessageTheDatabaseRefusesGoesToTheDeadLetterTopicAndTheOthersAreStored() throws Exception {
    IngestWriter w = writer(10_000, Duration.ofMillis(50));
    AtomicInteger acks = new AtomicInteger();
    w.submit(message("a", 10, acks));
    w.submit(
        new Inbound(
            "gw/v1/telemetry/plc",
            List.of(StoredSample.of("plc", new Sample("s", T0, "nul\u0000", Quality.GOOD))),
            List.of(),
            List.of(),
            T0,
            acks::incrementAndGet));
    w.submit(message("b", 10, acks));
    w.start();
    await().atMost(Duration.ofSeconds(30)).untilAtomic(acks, org.hamcrest.Matchers.is(3));
    assertThat(scalar(ds, "SELECT count(*) FROM sample")).isEqualTo(20);
    assertThat(letters)
        .singleElement()
        .satisfies(l -> {
          assertThat(l.reason()).startsWith("the store refused the message:").contains("0x00");
          assertThat(l.topic()).isEqualTo("gw/v1/telemetry/plc");
        });
    assertThat(registry.get("buffer_dlq_total").tag("reason", "store_refused").counter().count())
        .isEqualTo(1.0);
  }

  @Test
  void aMessageTheStoreCannotHoldIsIsolatedAndNothingStaysUnacknowledged() throws Exception {
    IngestWriter w = writer(10_000, Duration.ofMillis(50));
    AtomicInteger acks = new AtomicInteger();
    w.submit(message("a", 10, acks));
    // A time beyond PostgreSQL's range (the decoder keeps such samples out; this checks the
    // writer's own isolation): not even its day partition can be created.
    StoredSample absurd =
        new StoredSample(
            new io.edgegw.buffer.store.SeriesKey("plc", "x"),
            "number",
            Long.MAX_VALUE / 2,
            1.0,
            null,
            (short) 0);
    w.submit(
        new Inbound(
            "gw/v1/telemetry/plc",
            List.of(absurd),
            List.of(),
            List.of(),
            T0,
            acks::incrementAndGet));
    w.submit(message("b", 10, acks));
    w.start();
    await().atMost(Duration.ofSeconds(30)).untilAtomic(acks, org.hamcrest.Matchers.is(3));
    assertThat(scalar(ds, "SELECT count(*) FROM sample")).isEqualTo(20);
    assertThat(letters)
        .singleElement()
        .satisfies(l -> assertThat(l.reason()).startsWith("the store refused the message: "));
  }

  @Test
  void rejectionsOfTheDecoderAreSentAfterTheCommitAndTheMessageIsAcknowledged() throws Exception {
    IngestWriter w = writer(10_000, Duration.ofMillis(50));
    AtomicInteger acks = new AtomicInteger();
    DeadLetter letter = DeadLetter.of("buffer", "gw/v1/telemetry/x", "bad", T0, new byte[] {1});
    w.submit(
        new Inbound(
            "gw/v1/telemetry/x",
            List.of(),
            List.of(),
            List.of(new Inbound.Rejection("malformed", letter)),
            -1,
            acks::incrementAndGet));
    w.submit(message("a", 5, acks));
    w.start();
    await().atMost(Duration.ofSeconds(30)).untilAtomic(acks, org.hamcrest.Matchers.is(2));
    assertThat(letters).containsExactly(letter);
    assertThat(scalar(ds, "SELECT count(*) FROM sample")).isEqualTo(5);
    assertThat(registry.get("buffer_dlq_total").tag("reason", "malformed").counter().count())
        .isEqualTo(1.0);
  }

  @Test
  void aFlushIsWrittenWhenItReachesTheBatchSize() throws Exception {
    // A delay far longer than the test: only the row count can trigger these flushes.
    IngestWriter w = writer(1000, Duration.ofHours(1));
    AtomicInteger acks = new AtomicInteger();
    for (int i = 0; i < 20; i++) {
      w.submit(message("a", 100, acks));
    }
    w.start();
    await().atMost(Duration.ofSeconds(30)).untilAtomic(acks, org.hamcrest.Matchers.is(20));
    var rows = registry.get("buffer_flush_rows").summary();
    assertThat(rows.count()).isEqualTo(2);
    assertThat(rows.max()).isEqualTo(1000.0);
    assertThat(scalar(ds, "SELECT count(DISTINCT ingest_seq) FROM sample")).isEqualTo(2);
  }

  @Test
  void aSmallFlushIsWrittenAfterTheMaximumDelay() throws Exception {
    // A batch size no test reaches: only the delay can end these flushes.
    IngestWriter w = writer(1_000_000, Duration.ofMillis(100));
    AtomicInteger acks = new AtomicInteger();
    for (int i = 0; i < 3; i++) {
      w.submit(message("a", 10, acks));
    }
    w.start();
    await().atMost(Duration.ofSeconds(30)).untilAtomic(acks, org.hamcrest.Matchers.is(3));
    assertThat(registry.get("buffer_flush_rows").summary().count()).isEqualTo(1);
    assertThat(scalar(ds, "SELECT count(*) FROM sample")).isEqualTo(30);
  }
}
