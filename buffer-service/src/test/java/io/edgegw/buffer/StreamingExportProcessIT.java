package io.edgegw.buffer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.edgegw.buffer.store.DayPartitions;
import io.edgegw.testsupport.MosquittoBroker;
import io.edgegw.testsupport.PostgresServer;
import java.io.BufferedReader;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Acceptance: responses stream, so 30 days of a 1 Hz tag (2,592,000 rows) never sits in memory at
 * once. The packaged service runs with a heap far smaller than either response and ends itself on
 * an OutOfMemoryError ({@link BufferProcess}), so a response held whole would kill it.
 */
class StreamingExportProcessIT {
  /**
   * The smallest {@code -Xmx} with which the packaged service booted and served both responses was
   * 14m (12m ends in OutOfMemoryError during startup); 32m leaves more than twice that.
   */
  static final String HEAP = "32m";

  static final long HEAP_BYTES = 32L * 1024 * 1024;
  static final int ROWS = 30 * 24 * 3600;

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void thirtyDaysOfA1HzTagStreamAsJsonAndCsvThroughA32MbHeap() throws Exception {
    try (PostgresServer pg = PostgresServer.start();
        MosquittoBroker broker = MosquittoBroker.builder().withUser("buffer").start()) {
      try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.username(), pg.password());
          Statement s = c.createStatement()) {
        s.execute("CREATE DATABASE gateway");
      }
      try (BufferProcess buffer = BufferProcess.start(pg, "gateway", broker, HEAP)) {
        buffer.awaitReady(); // Flyway has created the schema
        Instant to = Instant.now().truncatedTo(ChronoUnit.HOURS);
        Instant from = to.minus(Duration.ofDays(30));
        long t0 = System.nanoTime();
        int series = insertOneHertz(pg, from);
        System.out.printf(
            "inserted %,d rows in %d ms%n", ROWS, (System.nanoTime() - t0) / 1_000_000);

        String query = "/api/v1/series/" + series + "/samples?from=" + from + "&to=" + to;
        long fromMs = from.toEpochMilli();

        t0 = System.nanoTime();
        HttpResponse<InputStream> json =
            buffer
                .http()
                .send(
                    buffer.api(query + "&format=json").build(),
                    HttpResponse.BodyHandlers.ofInputStream());
        assertThat(json.statusCode()).isEqualTo(200);
        assertThat(json.headers().firstValue("Content-Type"))
            .hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        long jsonBytes;
        try (CountingStream body = new CountingStream(json.body())) {
          assertThat(countJsonRows(body, fromMs)).isEqualTo(ROWS);
          jsonBytes = body.count;
        }
        System.out.printf(
            "JSON: %,d rows, %,d bytes in %d ms%n",
            ROWS, jsonBytes, (System.nanoTime() - t0) / 1_000_000);

        t0 = System.nanoTime();
        HttpResponse<InputStream> csv =
            buffer
                .http()
                .send(
                    buffer.api(query + "&format=csv").build(),
                    HttpResponse.BodyHandlers.ofInputStream());
        assertThat(csv.statusCode()).isEqualTo(200);
        assertThat(csv.headers().firstValue("Content-Type"))
            .hasValueSatisfying(t -> assertThat(t).startsWith("text/csv"));
        long csvBytes;
        try (CountingStream body = new CountingStream(csv.body())) {
          assertThat(countCsvRows(body, fromMs)).isEqualTo(ROWS);
          csvBytes = body.count;
        }
        System.out.printf(
            "CSV: %,d rows, %,d bytes in %d ms%n",
            ROWS, csvBytes, (System.nanoTime() - t0) / 1_000_000);

        // Each body is several times the whole heap, so neither can have been held in it.
        assertThat(jsonBytes).isGreaterThan(3 * HEAP_BYTES);
        assertThat(csvBytes).isGreaterThan(3 * HEAP_BYTES);
        assertThat(buffer.isAlive()).as("buffer-service alive\n%s", buffer.logTail()).isTrue();
        assertThat(buffer.healthStatus()).isEqualTo(200);
        assertThat(buffer.log()).doesNotContain("OutOfMemoryError");
      }
    }
  }

  /**
   * One series with one sample a second from {@code from} for 30 days; the value of row {@code i}
   * is {@code i}. The day partitions are created first: the service creates them only for today and
   * the days ahead.
   */
  private static int insertOneHertz(PostgresServer pg, Instant from) throws Exception {
    try (Connection c =
            DriverManager.getConnection(pg.jdbcUrl("gateway"), pg.username(), pg.password());
        Statement s = c.createStatement()) {
      LocalDate last = DayPartitions.dayOf(from.plusSeconds(ROWS - 1).toEpochMilli());
      for (LocalDate d = DayPartitions.dayOf(from.toEpochMilli());
          !d.isAfter(last);
          d = d.plusDays(1)) {
        s.execute(
            "CREATE TABLE IF NOT EXISTS "
                + DayPartitions.nameOf(d)
                + " PARTITION OF sample FOR VALUES FROM ('"
                + d
                + " 00:00:00+00') TO ('"
                + d.plusDays(1)
                + " 00:00:00+00')");
      }
      int series;
      try (ResultSet rs =
          s.executeQuery(
              "INSERT INTO series (device, tag, kind) VALUES ('stream', 'hz1', 'number')"
                  + " RETURNING id")) {
        rs.next();
        series = rs.getInt(1);
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO sample (ts, series_id, value, quality, ingest_seq)"
                  + " SELECT ?::timestamptz + g * interval '1 second', ?, g, 0, 1"
                  + " FROM generate_series(0, ?) g")) {
        ps.setObject(1, OffsetDateTime.ofInstant(from, ZoneOffset.UTC));
        ps.setInt(2, series);
        ps.setInt(3, ROWS - 1);
        assertThat(ps.executeUpdate()).isEqualTo(ROWS);
      }
      s.execute("ANALYZE sample");
      return series;
    }
  }

  /**
   * Parses the JSON array token by token and counts its objects, checking that row {@code i} has
   * {@code t = from + i s} and {@code v = i}. Fails on a truncated or malformed document.
   */
  private static long countJsonRows(InputStream body, long fromMs) throws IOException {
    long rows = 0;
    try (JsonParser p = new JsonFactory().createParser(body)) {
      assertThat(p.nextToken()).isEqualTo(JsonToken.START_ARRAY);
      JsonToken token;
      while ((token = p.nextToken()) == JsonToken.START_OBJECT) {
        long t = -1;
        double v = -1;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String name = p.currentName();
          p.nextToken();
          if (name.equals("t")) {
            t = p.getLongValue();
          } else if (name.equals("v")) {
            v = p.getDoubleValue();
          }
        }
        if (t != fromMs + rows * 1000 || v != rows) {
          throw new AssertionError("JSON row " + rows + " has t=" + t + " v=" + v);
        }
        rows++;
      }
      assertThat(token).isEqualTo(JsonToken.END_ARRAY);
      assertThat(p.nextToken()).isNull();
    }
    return rows;
  }

  /** Counts CSV lines after the header, checking {@code t} and {@code v} of each as above. */
  private static long countCsvRows(InputStream body, long fromMs) throws IOException {
    long rows = 0;
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8), 1 << 16)) {
      assertThat(r.readLine()).isEqualTo("time,t,v,q");
      String line;
      while ((line = r.readLine()) != null) {
        String[] f = line.split(",", -1);
        if (f.length != 4
            || Long.parseLong(f[1]) != fromMs + rows * 1000
            || Double.parseDouble(f[2]) != rows
            || !f[3].equals("GOOD")) {
          throw new AssertionError("CSV row " + rows + " is '" + line + "'");
        }
        rows++;
      }
    }
    return rows;
  }

  /** Counts the bytes read through it; keeps none of them. */
  private static final class CountingStream extends FilterInputStream {
    long count;

    CountingStream(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
      int n = super.read(buf, off, len);
      if (n > 0) {
        count += n;
      }
      return n;
    }
  }
}
