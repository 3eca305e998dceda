package io.edgegw.uplink.outbox;

import static io.edgegw.uplink.outbox.TestOutbox.exec;
import static io.edgegw.uplink.outbox.TestOutbox.scalar;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edgegw.testsupport.PostgresServer;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The reader's backlog queries against a real PostgreSQL migrated by buffer-service's Flyway
 * script, read as the uplink reads: as its own role, which owns nothing.
 */
class OutboxReaderIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final long ROWS = 200_000;
  static final int PER_COMMIT = 1_000;
  static PostgresServer pg;

  DataSource owner;
  DataSource uplink;
  OutboxReader reader;
  long firstSeq;

  @BeforeAll
  static void startPostgres() {
    pg = PostgresServer.start();
  }

  @AfterAll
  static void stopPostgres() {
    pg.close();
  }

  @BeforeEach
  void backlog() throws SQLException {
    owner = TestOutbox.create(pg);
    String database = scalarText(owner, "SELECT current_database()");
    String role = "uplink_" + database;
    String password = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
    exec(owner, "CREATE ROLE " + role + " LOGIN PASSWORD '" + password + "'");
    exec(owner, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO " + role);
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setUrl(pg.jdbcUrl(database));
    ds.setUser(role);
    ds.setPassword(password);
    uplink = ds;
    reader = new OutboxReader(uplink);
    // A backlog as buffer-service writes it (every row of a commit with the commit's seq), more
    // pages than one BRIN range holds, and nothing summarized: no VACUUM has run.
    exec(owner, "INSERT INTO series (device, tag, kind) VALUES ('plc', 'a', 'number')");
    firstSeq = scalar(owner, "SELECT nextval('ingest_seq')");
    exec(
        owner,
        ("INSERT INTO sample (ts, series_id, value, quality, ingest_seq)"
                + " SELECT to_timestamp(1780000000 + i), (SELECT id FROM series), i, 0, %d + i / %d"
                + " FROM generate_series(0, %d) i")
            .formatted(firstSeq, PER_COMMIT, ROWS - 1));
    exec(owner, "SELECT setval('ingest_seq', " + (firstSeq + (ROWS - 1) / PER_COMMIT) + ")");
    // Statistics for the planner, as autovacuum's ANALYZE would give; but no VACUUM, which would
    // summarize the BRIN behind the test's back.
    exec(owner, "ALTER TABLE sample_default SET (autovacuum_enabled = false)");
    exec(owner, "ANALYZE sample");
  }

  @Test
  void summarizingLetsOneCommitsReadSkipTheRestOfTheBacklog() throws Exception {
    long seq = firstSeq + 30;
    JsonNode before = plan(seq);
    assertThat(before.path("Rows Removed by Index Recheck").asLong())
        .as("an unsummarized BRIN matches every page: the read rechecks the whole backlog")
        .isGreaterThan(ROWS / 2);

    assertThat(reader.summarize()).as("page ranges summarized by the uplink's role").isPositive();
    assertThat(reader.summarize()).as("nothing new to summarize").isZero();

    JsonNode after = plan(seq);
    assertThat(after.path("Actual Rows").asLong()).isEqualTo(PER_COMMIT);
    // A BRIN range is 128 pages (about 24,000 of these rows): a commit's read now visits the one
    // or two ranges it lies in, not the eight or nine of the backlog.
    assertThat(after.path("Rows Removed by Index Recheck").asLong())
        .as("rows read beside the commit's own, after summarizing")
        .isLessThan(before.path("Rows Removed by Index Recheck").asLong() / 3);
  }

  @Test
  void theBacklogCountsOnlyUpToItsHorizon() throws Exception {
    long last = firstSeq + (ROWS - 1) / PER_COMMIT;
    assertThat(reader.backlog("cloud", 0, Long.MAX_VALUE).rows()).isEqualTo(ROWS);
    assertThat(reader.backlog("cloud", firstSeq + 9, last).rows())
        .isEqualTo(ROWS - 10 * PER_COMMIT);
    assertThat(reader.backlog("cloud", firstSeq - 1, firstSeq + 4).rows())
        .isEqualTo(5 * PER_COMMIT);
    exec(
        owner,
        "INSERT INTO outbox_delivered (consumer, from_seq, to_seq) VALUES ('cloud', %d, %d)"
            .formatted(firstSeq, firstSeq + 1));
    OutboxReader.Backlog b = reader.backlog("cloud", firstSeq - 1, firstSeq + 4);
    assertThat(b.rows()).isEqualTo(3 * PER_COMMIT);
    assertThat(b.oldest().getEpochSecond()).isEqualTo(1780000000L + 2 * PER_COMMIT);
  }

  /**
   * The executed plan's node that reads {@code sample} for one commit's rows, as the uplink reads.
   */
  private JsonNode plan(long seq) throws SQLException {
    try (Connection c = uplink.getConnection();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "EXPLAIN (ANALYZE, FORMAT JSON) SELECT * FROM sample WHERE ingest_seq BETWEEN "
                    + seq
                    + " AND "
                    + seq)) {
      rs.next();
      JsonNode root = JSON.readTree(rs.getString(1)).get(0).get("Plan");
      JsonNode scan = find(root);
      assertThat(scan).as("a bitmap heap scan of sample in %s", root).isNotNull();
      return scan;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new AssertionError(e);
    }
  }

  private static JsonNode find(JsonNode node) {
    if ("Bitmap Heap Scan".equals(node.path("Node Type").asText())) {
      return node;
    }
    for (JsonNode child : node.path("Plans")) {
      JsonNode found = find(child);
      if (found != null) {
        return found;
      }
    }
    return null;
  }

  private static String scalarText(DataSource ds, String sql) throws SQLException {
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
