package io.edgegw.buffer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Faults during ingest, against a real Mosquitto and a real PostgreSQL. Each case ends with the
 * same check: every produced sample is stored exactly once.
 */
@QuarkusTest
@QuarkusTestResource(value = StoreResource.class, restrictToAnnotatedClass = true)
class IngestFaultsIT {
  static final int BATCHES = 300;
  static final int TAGS = 20;
  static Producer producer;

  @BeforeAll
  static void connect() throws Exception {
    producer =
        new Producer(
            StoreResource.broker.port(),
            StoreResource.broker.password("producer"),
            "fault-producer");
  }

  @AfterAll
  static void disconnect() throws Exception {
    producer.close();
  }

  static long query(String sql) throws SQLException {
    try (Connection c =
            DriverManager.getConnection(
                StoreResource.pg.jdbcUrl("gateway"),
                StoreResource.pg.username(),
                StoreResource.pg.password());
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  static long rows(String device) {
    try {
      return query(
          "SELECT count(*) FROM sample sa JOIN series se ON se.id = sa.series_id"
              + " WHERE se.device = '"
              + device
              + "'");
    } catch (SQLException e) {
      return -1; // the database is down at the moment
    }
  }

  /**
   * Publishes {@link #BATCHES} batches of {@link #TAGS} samples for {@code device}, one millisecond
   * apart, on a background thread: the first half, then, once {@code faultInjected} is counted
   * down, the second half, so that the fault always lands mid-stream however fast the machine
   * stores the first half.
   */
  static CompletableFuture<Void> produce(String device, CountDownLatch faultInjected) {
    long t0 = System.currentTimeMillis() - 60_000;
    return CompletableFuture.runAsync(() -> {
      for (int i = 0; i < BATCHES; i++) {
        if (i == BATCHES / 2) {
          try {
            if (!faultInjected.await(60, TimeUnit.SECONDS)) {
              throw new IllegalStateException("the fault was not injected within 60 s");
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
          }
        }
        producer.send(producer.batch(device, TAGS, t0 + i));
        if (i % 20 == 19) {
          // Keep the rate moderate so the fault lands mid-stream.
          try {
            producer.awaitAll(60);
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }
      }
    });
  }

  static void assertExactlyOnce(String device) throws SQLException {
    long expected = (long) BATCHES * TAGS;
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> rows(device) == expected);
    assertThat(
            query(
                "SELECT count(*) - count(DISTINCT (sa.series_id, sa.ts)) FROM sample sa"
                    + " JOIN series se ON se.id = sa.series_id WHERE se.device = '"
                    + device
                    + "'"))
        .isZero();
    assertThat(rows(device)).isEqualTo(expected);
  }

  @Test
  void postgresqlKilledAndRestartedMidIngest() throws Exception {
    double errorsBefore = BufferIT.metric("buffer_store_errors_total{kind=\"unavailable\"}");
    CountDownLatch killed = new CountDownLatch(1);
    CompletableFuture<Void> producing = produce("pg-crash", killed);
    await().atMost(Duration.ofSeconds(60)).until(() -> rows("pg-crash") > 0);
    StoreResource.pg.kill();
    killed.countDown();
    try {
      // The buffer notices: its flushes fail and nothing is acknowledged.
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() ->
              BufferIT.metric("buffer_store_errors_total{kind=\"unavailable\"}") > errorsBefore);
    } finally {
      StoreResource.pg.resume();
    }
    producing.get(120, TimeUnit.SECONDS);
    producer.awaitAll(60);
    assertExactlyOnce("pg-crash");
  }

  @Test
  void mosquittoRestartedMidIngest() throws Exception {
    CountDownLatch restarted = new CountDownLatch(1);
    CompletableFuture<Void> producing = produce("bus-restart", restarted);
    await().atMost(Duration.ofSeconds(60)).until(() -> rows("bus-restart") > 0);
    long before = rows("bus-restart");
    StoreResource.broker.restart();
    restarted.countDown();
    producing.get(120, TimeUnit.SECONDS);
    producer.awaitAll(60);
    assertThat(before).isLessThan((long) BATCHES * TAGS);
    assertExactlyOnce("bus-restart");
  }
}
