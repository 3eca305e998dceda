package io.edgegw.buffer.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edgegw.buffer.ingest.BusIngest;
import io.edgegw.buffer.query.ExportRows;
import io.edgegw.buffer.store.DayPartitions;
import io.edgegw.buffer.store.SeriesRegistry;
import io.edgegw.buffer.store.StoreMode;
import io.edgegw.buffer.store.StoreWriter;
import io.edgegw.buffer.store.StoredSample;
import io.edgegw.buffer.store.TestStore;
import io.edgegw.contracts.Command;
import io.edgegw.contracts.CommandResult;
import io.edgegw.contracts.PayloadCodec;
import io.edgegw.contracts.Quality;
import io.edgegw.contracts.Sample;
import io.edgegw.contracts.Topics;
import io.edgegw.testsupport.BusObserver;
import io.edgegw.testsupport.FreePorts;
import io.edgegw.testsupport.MosquittoBroker;
import io.edgegw.testsupport.PostgresServer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * {@code buffer.export} against a real PostgreSQL store and a real Mosquitto: parts in order, each
 * within its limits, whose data together is exactly the export of the store, with the right row
 * count and checksum; an empty range; refusals with their reasons; a database that is down; and the
 * backpressure (no part before the previous one is acknowledged).
 */
class ExportCommandsIT {
  static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");
  static final InstantSource CLOCK = InstantSource.fixed(NOW);
  static final PayloadCodec CODEC = new PayloadCodec();
  static final ObjectMapper JSON = new ObjectMapper();

  static PostgresServer pg;
  static DataSource ds;
  static MosquittoBroker broker;
  static CommandBus bus;
  static ExportCommands exports;
  static BusObserver tester;

  static ExportCommands.Settings settings(int partRows) {
    return new ExportCommands.Settings(
        128 * 1024,
        partRows,
        1_000_000,
        10_000,
        2,
        Duration.ofSeconds(10),
        Duration.ofDays(30),
        500,
        Duration.ofMinutes(1));
  }

  @BeforeAll
  static void start() throws Exception {
    pg = PostgresServer.start();
    ds = TestStore.create(pg);
    StoreWriter writer =
        new StoreWriter(
            ds,
            StoreMode.PLAIN,
            new SeriesRegistry(k -> k.tag().equals("temp") ? "degC" : null),
            new DayPartitions());
    List<StoredSample> samples = new ArrayList<>();
    long start = NOW.minus(Duration.ofDays(35)).toEpochMilli();
    // Every 30 minutes for 35 days: five days of it older than the default range.
    for (long t = start; t < NOW.toEpochMilli(); t += 1_800_000L) {
      long i = (t - start) / 1_800_000L;
      samples.add(StoredSample.of("plc", new Sample("temp", t, 20.0 + i % 7 * 0.5, Quality.GOOD)));
      samples.add(StoredSample.of("plc", new Sample("run", t + 1, i % 2 == 0, Quality.GOOD)));
      if (i % 10 == 0) {
        samples.add(
            StoredSample.of(
                "meter", new Sample("label", t + 2, "a \"quoted\", text " + i, Quality.GOOD)));
      }
    }
    samples.add(
        StoredSample.of("plc", new Sample("temp", NOW.toEpochMilli() - 5, null, Quality.BAD)));
    writer.write(samples, List.of());
    broker = MosquittoBroker.builder().withUser("buffer").withUser("tester").start();
    exports = new ExportCommands(ds, settings(100), (t, p) -> bus.publish(t, p), CLOCK);
    bus =
        new CommandBus(
            new BusIngest.Settings(
                "127.0.0.1",
                broker.port(),
                "it-buffer-cmd",
                "buffer",
                broker.password("buffer"),
                Duration.ofSeconds(30)),
            exports::onCommand);
    bus.start();
    await().atMost(Duration.ofSeconds(10)).until(bus::isConnected);
    tester =
        new BusObserver(
            broker.port(), "tester", broker.password("tester"), "it-tester", "gw/v1/reply/#");
  }

  @AfterAll
  static void stop() throws Exception {
    if (tester != null) {
      tester.close();
    }
    if (exports != null) {
      exports.close();
    }
    if (bus != null) {
      bus.close();
    }
    if (broker != null) {
      broker.close();
    }
    if (pg != null) {
      pg.close();
    }
  }

  /** Sends one export command and returns every reply up to the final one. */
  static List<CommandResult> export(Map<String, Object> args) throws Exception {
    String id = "it-" + UUID.randomUUID();
    // The subscription to commands is made once connected; a first command may race it.
    await().atMost(Duration.ofSeconds(10)).until(bus::isConnected);
    tester.publish(
        Topics.command("buffer", "export"),
        CODEC.encode(Command.of(id, "buffer", "export", args, NOW.toEpochMilli() + 60_000)));
    String topic = Topics.reply(id);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() ->
            tester.on(topic).stream()
                .map(r -> r.as(CommandResult.class))
                .anyMatch(r -> !Boolean.FALSE.equals(r.result().get("final"))));
    return tester.on(topic).stream().map(r -> r.as(CommandResult.class)).toList();
  }

  static String data(List<CommandResult> replies) {
    StringBuilder all = new StringBuilder();
    for (CommandResult r : replies) {
      if (Boolean.FALSE.equals(r.result().get("final"))) {
        all.append((String) r.result().get("data"));
      }
    }
    return all.toString();
  }

  /** The same export written in one go, straight from the store. */
  static String direct(List<String> series, String from, String to, String format)
      throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (Connection c = ds.getConnection()) {
      ExportRows plan = ExportRows.plan(c, series, from, to, format, NOW, Duration.ofDays(30));
      try (Connection cursor = ExportRows.cursor(ds, Duration.ofMinutes(1))) {
        plan.write(cursor, 1000, out, null);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  static long count(String where) throws Exception {
    return TestStore.scalar(ds, "SELECT count(*) FROM sample WHERE " + where);
  }

  static String sha256(String s) throws Exception {
    return HexFormat.of()
        .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void thirtyDaysOfEverySeriesComeInNumberedPartsThatAddUpToTheStore() throws Exception {
    List<CommandResult> replies = export(Map.of("from", "P30D", "chunkRows", 100));

    CommandResult last = replies.getLast();
    assertThat(last.ok()).as(last.reason()).isTrue();
    List<CommandResult> parts = replies.subList(0, replies.size() - 1);
    long expectedRows =
        count(
            "ts >= timestamptz '"
                + NOW.minus(Duration.ofDays(30))
                + "' AND ts < timestamptz '"
                + NOW
                + "'");
    assertThat(expectedRows).isGreaterThan(2 * 30 * 48);
    assertThat(last.result())
        .containsEntry("final", true)
        .containsEntry("rows", (int) expectedRows)
        .containsEntry("parts", parts.size())
        .containsEntry("format", "csv")
        .containsEntry("from", NOW.minus(Duration.ofDays(30)).toString())
        .containsEntry("to", NOW.toString())
        .containsEntry("series", 3);
    assertThat(parts.size()).isEqualTo((int) ((expectedRows + 99) / 100));
    for (int i = 0; i < parts.size(); i++) {
      assertThat(parts.get(i).result()).containsEntry("part", i + 1).containsEntry("final", false);
      assertThat(((Number) parts.get(i).result().get("rows")).longValue()).isBetween(1L, 100L);
    }
    String all = data(replies);
    assertThat(all).isEqualTo(direct(List.of(), "P30D", null, "csv"));
    assertThat(last.result()).containsEntry("sha256", sha256(all));
    String[] lines = all.split("\r\n");
    assertThat(lines[0]).isEqualTo("series,device,tag,unit,time,t,v,q");
    assertThat(lines).hasSize((int) expectedRows + 1);
    assertThat(all).contains(",meter,label,,").contains("\"a \"\"quoted\"\", text 1440\"");
  }

  @Test
  void jsonOfNamedSeriesIsOneArrayAcrossTheParts() throws Exception {
    List<CommandResult> replies =
        export(
            Map.of(
                "series",
                List.of("meter/label", "plc/run"),
                "from",
                NOW.minus(Duration.ofDays(2)).toString(),
                "to",
                NOW.minus(Duration.ofDays(1)).toString(),
                "format",
                "json",
                "chunkRows",
                7));

    CommandResult last = replies.getLast();
    assertThat(last.ok()).as(last.reason()).isTrue();
    JsonNode rows = JSON.readTree(data(replies));
    assertThat(rows.isArray()).isTrue();
    assertThat(rows).hasSize(5 + 48);
    assertThat(last.result()).containsEntry("rows", 53).containsEntry("parts", 8);
    assertThat(rows.get(0).get("device").asText()).isEqualTo("meter");
    assertThat(rows.get(0).get("v").asText()).startsWith("a \"quoted\", text ");
    assertThat(rows.get(5).get("tag").asText()).isEqualTo("run");
    assertThat(rows.get(5).get("v").isBoolean()).isTrue();
  }

  @Test
  void anEmptyRangeIsOnePartWithTheHeaderOnly() throws Exception {
    List<CommandResult> replies =
        export(Map.of("from", "2020-01-01T00:00:00Z", "to", "2020-01-02T00:00:00Z"));
    assertThat(replies).hasSize(2);
    assertThat(replies.get(0).result())
        .containsEntry("part", 1)
        .containsEntry("rows", 0)
        .containsEntry("data", "series,device,tag,unit,time,t,v,q\r\n");
    assertThat(replies.get(1).result()).containsEntry("rows", 0).containsEntry("parts", 1);
  }

  @Test
  void badArgumentsAreRefusedWithTheReasonAndNoData() throws Exception {
    assertThat(export(Map.of("series", List.of(999))))
        .singleElement()
        .satisfies(r -> {
          assertThat(r.ok()).isFalse();
          assertThat(r.reason()).isEqualTo("no series with id 999");
        });
    assertThat(export(Map.of("series", "plc/nope")).getFirst().reason())
        .isEqualTo("no series plc/nope (device/tag)");
    assertThat(export(Map.of("from", "2026-11-25T00:00:00Z", "to", "2026-11-24T00:00:00Z")))
        .singleElement()
        .satisfies(r ->
            assertThat(r.reason())
                .isEqualTo("from (2026-11-25T00:00:00Z) must be before to (2026-11-24T00:00:00Z)"));
    assertThat(export(Map.of("from", "yesterday")).getFirst().reason())
        .startsWith("from: 'yesterday' is not a time");
    assertThat(export(Map.of("format", "xml")).getFirst().reason())
        .isEqualTo("format must be json or csv, got 'xml'");
    assertThat(export(Map.of("limit", 5)).getFirst().reason())
        .startsWith("unknown argument 'limit'");
    assertThat(export(Map.of("chunkRows", 0)).getFirst().reason())
        .startsWith("chunkRows: must be a whole number from 1 to 1000000");
  }

  @Test
  void aDatabaseThatIsDownFailsTheExportWithTheReason() throws Exception {
    PGSimpleDataSource down = new PGSimpleDataSource();
    down.setUrl("jdbc:postgresql://127.0.0.1:" + FreePorts.loopback() + "/gateway");
    down.setUser("buffer");
    down.setPassword("unused");
    List<byte[]> published = new CopyOnWriteArrayList<>();
    try (ExportCommands broken =
        new ExportCommands(
            down,
            settings(100),
            (t, p) -> {
              published.add(p);
              return CompletableFuture.completedFuture(null);
            },
            CLOCK)) {
      broken.onCommand(
          Topics.command("buffer", "export"),
          CODEC.encode(Command.of("c-down", "buffer", "export", Map.of(), NOW.toEpochMilli() + 1)));
      await().atMost(Duration.ofSeconds(20)).until(() -> !published.isEmpty());
    }
    CommandResult r = CODEC.decode(published.getFirst(), CommandResult.class);
    assertThat(r.ok()).isFalse();
    assertThat(r.reason()).startsWith("the store is not available: ");
    assertThat(published).hasSize(1);
  }

  @Test
  void noPartIsProducedBeforeThePreviousOneIsAcknowledged() throws Exception {
    List<CompletableFuture<Object>> acks = new CopyOnWriteArrayList<>();
    List<byte[]> published = new CopyOnWriteArrayList<>();
    try (ExportCommands slow =
        new ExportCommands(
            ds,
            settings(50),
            (t, p) -> {
              published.add(p);
              CompletableFuture<Object> ack = new CompletableFuture<>();
              acks.add(ack);
              return ack;
            },
            CLOCK)) {
      slow.onCommand(
          Topics.command("buffer", "export"),
          CODEC.encode(
              Command.of(
                  "c-slow",
                  "buffer",
                  "export",
                  Map.of("series", "plc/temp"),
                  NOW.toEpochMilli() + 1)));
      for (int part = 1; part <= 3; part++) {
        int n = part;
        await().atMost(Duration.ofSeconds(10)).until(() -> published.size() == n);
        // The exporter waits for this acknowledgement: nothing more is published meanwhile. The
        // check cannot prove a negative in finite time; it catches an exporter that does not wait
        // at all, which would have published the next parts within this window.
        await()
            .during(Duration.ofMillis(300))
            .atMost(Duration.ofSeconds(2))
            .until(() -> published.size() == n);
        acks.get(n - 1).complete(null);
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> published.size() == 4);
      assertThat(CODEC.decode(published.get(3), CommandResult.class).result())
          .containsEntry("part", 4);
      acks.forEach(a -> a.complete(null));
    }
  }
}
