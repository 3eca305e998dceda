package io.edgegw.buffer;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.edgegw.contracts.AlarmEvent;
import io.edgegw.contracts.DeadLetter;
import io.edgegw.contracts.PayloadCodec;
import io.edgegw.contracts.Quality;
import io.edgegw.contracts.Sample;
import io.edgegw.contracts.SampleBatch;
import io.edgegw.contracts.Severity;
import io.edgegw.contracts.Status;
import io.edgegw.contracts.Topics;
import io.edgegw.testsupport.BusObserver;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * buffer-service as a whole, in its Quarkus runtime, with a real Mosquitto and a real PostgreSQL:
 * ingest, dead letters, status, the query API and its contract. Each test uses its own device ids,
 * so the tests do not depend on their order.
 */
@QuarkusTest
@QuarkusTestResource(value = StoreResource.class, restrictToAnnotatedClass = true)
class BufferIT {
  static final PayloadCodec CODEC = new PayloadCodec();
  static Producer producer;
  static BusObserver observer;

  @BeforeAll
  static void connect() throws Exception {
    producer =
        new Producer(
            StoreResource.broker.port(), StoreResource.broker.password("producer"), "it-producer");
    observer =
        new BusObserver(
            StoreResource.broker.port(),
            "observer",
            StoreResource.broker.password("observer"),
            "it-observer",
            "gw/v1/#");
  }

  @AfterAll
  static void disconnect() throws Exception {
    producer.close();
    observer.close();
  }

  static long count(String sql) throws SQLException {
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

  static long rowsOf(String device) throws SQLException {
    return count(
        "SELECT count(*) FROM sample sa JOIN series se ON se.id = sa.series_id"
            + " WHERE se.device = '"
            + device
            + "'");
  }

  static RequestSpecification api() {
    return given().header("Authorization", "Bearer " + StoreResource.token);
  }

  @Test
  void telemetryIsStoredOnceEvenWhenABatchArrivesTwice() throws Exception {
    long t = System.currentTimeMillis();
    SampleBatch first = producer.batch("twice", 20, t);
    SampleBatch second = producer.batch("twice", 20, t + 1000);
    producer.send(first);
    producer.send(second);
    producer.send(first); // a redelivery, as after a bridge reconnect
    producer.awaitAll(10);
    await().atMost(Duration.ofSeconds(20)).until(() -> rowsOf("twice") == 40);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> metric("buffer_ingest_duplicates_total") >= 20);
    assertThat(rowsOf("twice")).isEqualTo(40);
  }

  @Test
  void malformedPayloadsGoToTheDeadLetterTopicAndDoNotBlockTheQueue() throws Exception {
    producer.sendRaw(
        Topics.telemetry("broken"),
        "{\"v\":1,\"device\":\"broken\"".getBytes(StandardCharsets.UTF_8));
    producer.sendRaw(
        Topics.telemetry("liar"),
        CODEC.encode(
            SampleBatch.of(
                "other",
                0,
                List.of(new Sample("a", System.currentTimeMillis(), 1.0, Quality.GOOD)),
                0)));
    producer.send(producer.batch("after-bad", 5, System.currentTimeMillis()));
    producer.awaitAll(10);
    await().atMost(Duration.ofSeconds(20)).until(() -> rowsOf("after-bad") == 5);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> observer.on(Topics.deadLetters("buffer")).size() >= 2);
    List<DeadLetter> letters =
        observer.on(Topics.deadLetters("buffer")).stream()
            .map(r -> r.as(DeadLetter.class))
            .toList();
    assertThat(letters)
        .anySatisfy(l -> {
          assertThat(l.topic()).isEqualTo("gw/v1/telemetry/broken");
          assertThat(l.reason()).startsWith("SampleBatch: malformed JSON");
          assertThat(l.payload()).startsWith("{\"v\":1");
        })
        .anySatisfy(l ->
            assertThat(l.reason())
                .isEqualTo("payload device 'other' does not match topic device 'liar'"));
    assertThat(rowsOf("broken") + rowsOf("liar") + rowsOf("other")).isZero();
    assertThat(metric("buffer_dlq_total{reason=\"malformed\"}")).isGreaterThanOrEqualTo(1);
    assertThat(metric("buffer_dlq_total{reason=\"device_mismatch\"}")).isGreaterThanOrEqualTo(1);
  }

  @Test
  void alarmEventsAreStored() throws Exception {
    long t = System.currentTimeMillis();
    AlarmEvent e =
        new AlarmEvent(
            1,
            "it-high",
            AlarmEvent.Transition.RAISED,
            Severity.MAJOR,
            91.0,
            t,
            "level high",
            Map.of());
    producer.sendRaw(Topics.ALARM_EVENTS, CODEC.encode(e));
    producer.sendRaw(Topics.ALARM_EVENTS, CODEC.encode(e));
    producer.awaitAll(10);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> count("SELECT count(*) FROM alarm_event WHERE alarm_id = 'it-high'") == 1);
    await().atMost(Duration.ofSeconds(20)).until(() -> metric("buffer_ingest_messages_total") >= 2);
    assertThat(count("SELECT count(*) FROM alarm_event WHERE alarm_id = 'it-high'")).isEqualTo(1);
  }

  @Test
  void statusHealthAndMetricsReportThePlainStoreMode() {
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> !observer.on(Topics.status("buffer")).isEmpty());
    Status s = observer.on(Topics.status("buffer")).getLast().as(Status.class);
    assertThat(s.state()).isEqualTo(Status.State.ONLINE);
    assertThat(s.detail()).containsEntry("mode", "plain");
    given()
        .get("/q/health/ready")
        .then()
        .statusCode(200)
        .body("checks.find { it.name == 'buffer' }.data.mode", equalTo("plain"));
    assertThat(metric("buffer_store_mode{mode=\"plain\"}")).isEqualTo(1.0);
  }

  @jakarta.inject.Inject BufferConfig config;

  @Test
  void retentionIsThirtyDaysUnlessConfiguredOtherwise() {
    // StoreResource sets no retention: this is the shipped default.
    assertThat(config.store().retention()).isEqualTo(Duration.ofDays(30));
  }

  @Test
  void theApiRefusesCallsWithoutTheToken() {
    given()
        .get("/api/v1/series")
        .then()
        .statusCode(401)
        .body("error", equalTo("missing bearer token"));
    given()
        .header("Authorization", "Bearer not-the-token")
        .get("/api/v1/series")
        .then()
        .statusCode(401)
        .header("WWW-Authenticate", containsString("Bearer"))
        .body("error", equalTo("wrong token"));
    // Health and metrics stay open on the loopback interface.
    given().get("/q/health/live").then().statusCode(200);
  }

  @Test
  void seriesSamplesAggregatesAndExportsAnswerWithTheStoredValues() throws Exception {
    // One minute of 1 Hz data: values 0..59 in the first minute, 60..119 in the second.
    long start = (System.currentTimeMillis() / 60_000 - 10) * 60_000;
    for (int i = 0; i < 120; i++) {
      producer.send(
          SampleBatch.of(
              "plc",
              i,
              List.of(
                  new Sample("temp", start + i * 1000L, (double) i, Quality.GOOD),
                  new Sample("name", start + i * 1000L, "s,\"" + i, Quality.GOOD)),
              0));
    }
    producer.awaitAll(10);
    await().atMost(Duration.ofSeconds(20)).until(() -> rowsOf("plc") == 240);

    JsonPath series = api().get("/api/v1/series").then().statusCode(200).extract().jsonPath();
    int tempId = series.getInt("find { it.device == 'plc' && it.tag == 'temp' }.id");
    int nameId = series.getInt("find { it.device == 'plc' && it.tag == 'name' }.id");
    assertThat(series.getString("find { it.id == " + tempId + " }.unit")).isEqualTo("degC");
    assertThat(series.getString("find { it.id == " + tempId + " }.kind")).isEqualTo("number");
    assertThat(series.getString("find { it.id == " + tempId + " }.first"))
        .isEqualTo(Instant.ofEpochMilli(start).toString());
    assertThat(series.getString("find { it.id == " + tempId + " }.last"))
        .isEqualTo(Instant.ofEpochMilli(start + 119_000).toString());

    String from = Instant.ofEpochMilli(start).toString();
    String to = Instant.ofEpochMilli(start + 120_000).toString();
    JsonPath raw =
        api()
            .queryParam("from", from)
            .queryParam("to", to)
            .get("/api/v1/series/" + tempId + "/samples")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(raw.getList("v", Float.class)).hasSize(120);
    assertThat(raw.getLong("[5].t")).isEqualTo(start + 5000);
    assertThat(raw.getDouble("[5].v")).isEqualTo(5.0);
    assertThat(raw.getString("[5].q")).isEqualTo("GOOD");

    String csv =
        api()
            .queryParam("from", from)
            .queryParam("to", to)
            .queryParam("format", "csv")
            .get("/api/v1/series/" + nameId + "/samples")
            .then()
            .statusCode(200)
            .contentType(containsString("text/csv"))
            .extract()
            .asString();
    String[] lines = csv.split("\r\n");
    assertThat(lines[0]).isEqualTo("time,t,v,q");
    assertThat(lines[1]).isEqualTo(Instant.ofEpochMilli(start) + "," + start + ",\"s,\"\"0\",GOOD");
    assertThat(lines).hasSize(121);

    JsonPath agg =
        api()
            .queryParam("from", from)
            .queryParam("to", to)
            .queryParam("bucket", "1m")
            .get("/api/v1/series/" + tempId + "/aggregates")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(agg.getList("$")).hasSize(2);
    assertThat(agg.getLong("[0].t")).isEqualTo(start);
    assertThat(agg.getDouble("[0].min")).isEqualTo(0.0);
    assertThat(agg.getDouble("[0].max")).isEqualTo(59.0);
    assertThat(agg.getDouble("[0].avg")).isEqualTo(29.5);
    assertThat(agg.getDouble("[0].last")).isEqualTo(59.0);
    assertThat(agg.getLong("[0].count")).isEqualTo(60);
    assertThat(agg.getDouble("[1].min")).isEqualTo(60.0);
    assertThat(agg.getDouble("[1].last")).isEqualTo(119.0);

    String export =
        api()
            .queryParam("series", tempId + "," + nameId)
            .queryParam("from", from)
            .queryParam("to", to)
            .get("/api/v1/export")
            .then()
            .statusCode(200)
            .header("Content-Disposition", containsString("export.csv"))
            .extract()
            .asString();
    String[] rows = export.split("\r\n");
    assertThat(rows[0]).isEqualTo("series,device,tag,unit,time,t,v,q");
    assertThat(rows).hasSize(241);
    assertThat(rows[1])
        .isEqualTo(
            tempId + ",plc,temp,degC," + Instant.ofEpochMilli(start) + "," + start + ",0.0,GOOD");
  }

  @Test
  void aQueryThatFailsWhileStreamingAbortsTheTransferInsteadOfEndingItCleanly() throws Exception {
    long now = System.currentTimeMillis();
    long start = now - 600_000;
    try (Connection c =
            DriverManager.getConnection(
                StoreResource.pg.jdbcUrl("gateway"),
                StoreResource.pg.username(),
                StoreResource.pg.password());
        Statement s = c.createStatement()) {
      for (long day : new long[] {start, now}) {
        java.time.LocalDate d =
            java.time.LocalDate.ofInstant(Instant.ofEpochMilli(day), java.time.ZoneOffset.UTC);
        s.execute(
            "CREATE TABLE IF NOT EXISTS sample_d"
                + d.toString().replace("-", "")
                + " PARTITION OF sample FOR VALUES FROM ('"
                + d
                + " 00:00:00+00') TO ('"
                + d.plusDays(1)
                + " 00:00:00+00')");
      }
      s.execute("INSERT INTO series (device, tag, kind) VALUES ('stream', 'big', 'number')");
      s.execute(
          "INSERT INTO sample (ts, series_id, value, quality, ingest_seq)"
              + " SELECT timestamptz 'epoch' + ("
              + start
              + " + g) * interval '1 millisecond',"
              + " (SELECT id FROM series WHERE device = 'stream'), g, 0, 1"
              + " FROM generate_series(0, 299999) g");
    }
    int id =
        api()
            .get("/api/v1/series")
            .then()
            .extract()
            .jsonPath()
            .getInt("find { it.device == 'stream' }.id");
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    java.net.http.HttpResponse<java.io.InputStream> response =
        http.send(
            java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(
                        io.restassured.RestAssured.baseURI
                            + ":"
                            + io.restassured.RestAssured.port
                            + "/api/v1/series/"
                            + id
                            + "/samples?from=now-1h"))
                .header("Authorization", "Bearer " + StoreResource.token)
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofInputStream());
    assertThat(response.statusCode()).isEqualTo(200);
    try (java.io.InputStream body = response.body()) {
      assertThat(new String(body.readNBytes(64), StandardCharsets.UTF_8)).startsWith("[{\"time\"");
      // The server is now blocked writing into a full socket, holding its database cursor.
      // End that query from the database side, as a crash or a timeout would.
      assertThat(
              count(
                  "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                      + " WHERE query LIKE 'SELECT ts, value, text_value, quality FROM sample%'"
                      + " AND pid <> pg_backend_pid()"))
          .isEqualTo(1);
      org.assertj.core.api.Assertions.assertThatThrownBy(body::readAllBytes)
          .isInstanceOf(java.io.IOException.class);
    }
  }

  @Test
  void badQueriesGetA400WithTheReason() {
    api()
        .get("/api/v1/series/abc/samples")
        .then()
        .statusCode(400)
        .body("error", equalTo("series id must be a positive integer, got 'abc'"));
    api()
        .get("/api/v1/series/999999/samples")
        .then()
        .statusCode(404)
        .body("error", equalTo("no series with id 999999"));
    int id = anySeries();
    api()
        .queryParam("from", "2026-13-01")
        .get("/api/v1/series/" + id + "/samples")
        .then()
        .statusCode(400)
        .body("error", containsString("from: '2026-13-01' is not a time"));
    api()
        .queryParam("from", "now")
        .queryParam("to", "now-1h")
        .get("/api/v1/series/" + id + "/samples")
        .then()
        .statusCode(400)
        .body("error", containsString("must be before to"));
    api()
        .queryParam("bucket", "fortnight")
        .get("/api/v1/series/" + id + "/aggregates")
        .then()
        .statusCode(400)
        .body("error", containsString("bucket: 'fortnight' is not a duration"));
    api()
        .queryParam("bucket", "0s")
        .get("/api/v1/series/" + id + "/aggregates")
        .then()
        .statusCode(400)
        .body("error", containsString("duration must be positive"));
    api()
        .queryParam("from", "now-30d")
        .queryParam("bucket", "1ms")
        .get("/api/v1/series/" + id + "/aggregates")
        .then()
        .statusCode(400)
        .body("error", containsString("use a wider bucket or a shorter range"));
    api()
        .queryParam("format", "xml")
        .get("/api/v1/series/" + id + "/samples")
        .then()
        .statusCode(400)
        .body("error", equalTo("format must be json or csv, got 'xml'"));
    api()
        .queryParam("series", "1,,2")
        .get("/api/v1/export")
        .then()
        .statusCode(400)
        .body("error", equalTo("series id must be a positive integer, got ''"));
  }

  @Test
  void theOpenApiDocumentDescribesTheQueryApi() {
    String doc = given().get("/q/openapi").then().statusCode(200).extract().asString();
    assertThat(doc)
        .contains("/api/v1/series:")
        .contains("/api/v1/series/{id}/samples:")
        .contains("/api/v1/series/{id}/aggregates:")
        .contains("/api/v1/export:")
        .contains("/api/v1/data-dropped:")
        .contains("bearerFormat");
  }

  private int anySeries() {
    producer.send(producer.batch("any", 1, System.currentTimeMillis()));
    await().atMost(Duration.ofSeconds(20)).until(() -> rowsOf("any") >= 1);
    return api()
        .get("/api/v1/series")
        .then()
        .extract()
        .jsonPath()
        .getInt("find { it.device == 'any' }.id");
  }

  static double metric(String name) {
    String body = given().get("/q/metrics").then().statusCode(200).extract().asString();
    for (String line : body.split("\n")) {
      if (line.startsWith(name + " ")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return 0;
  }
}
