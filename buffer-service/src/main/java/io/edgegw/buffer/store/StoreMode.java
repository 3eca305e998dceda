package io.edgegw.buffer.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * How the {@code sample} table is stored: as a TimescaleDB hypertable, or as a plain PostgreSQL
 * table partitioned by day. The migration decided it when it created the table; this reads the
 * decision back from the catalogue.
 */
public enum StoreMode {
  /** Plain PostgreSQL: daily range partitions; retention and quota run in the service. */
  PLAIN("plain"),
  /** TimescaleDB: hypertable with 1-day chunks, compression and a retention policy. */
  TIMESCALEDB("timescaledb");

  private final String label;

  StoreMode(String label) {
    this.label = label;
  }

  /** The name used in health details, metrics and logs. */
  public String label() {
    return label;
  }

  /** Reads the mode of the migrated schema. */
  public static StoreMode detect(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      boolean extension;
      try (ResultSet rs =
          s.executeQuery("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'")) {
        extension = rs.next();
      }
      if (extension) {
        try (ResultSet rs =
            s.executeQuery(
                "SELECT 1 FROM timescaledb_information.hypertables"
                    + " WHERE hypertable_name = 'sample'")) {
          if (rs.next()) {
            return TIMESCALEDB;
          }
        }
      }
      try (ResultSet rs =
          s.executeQuery(
              "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid"
                  + " WHERE c.relname = 'sample' AND c.relnamespace = current_schema()::regnamespace")) {
        if (rs.next()) {
          return PLAIN;
        }
      }
    }
    throw new SQLException(
        "table 'sample' is neither a hypertable nor partitioned; was the schema created by this"
            + " service's migrations?");
  }
}
