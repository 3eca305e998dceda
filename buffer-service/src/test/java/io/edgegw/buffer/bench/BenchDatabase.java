package io.edgegw.buffer.bench;

import io.agroal.api.AgroalDataSource;
import io.agroal.api.configuration.supplier.AgroalDataSourceConfigurationSupplier;
import io.agroal.api.security.NamePrincipal;
import io.agroal.api.security.SimplePassword;
import io.edgegw.buffer.store.TestStore;
import io.edgegw.testsupport.PostgresServer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A freshly migrated database (the service's own Flyway scripts, through {@link TestStore}) with an
 * Agroal pool in front of it, configured as the service configures its datasource: the writer gets
 * a pooled connection per flush, as in production, not a new login.
 */
final class BenchDatabase implements AutoCloseable {
  private final PostgresServer pg;
  private final String name;
  private final AgroalDataSource pool;

  private BenchDatabase(PostgresServer pg, String name, AgroalDataSource pool) {
    this.pg = pg;
    this.name = name;
    this.pool = pool;
  }

  /** Creates and migrates a database and opens a pool of up to {@code maxConnections}. */
  static BenchDatabase create(PostgresServer pg, int maxConnections) throws SQLException {
    PGSimpleDataSource migrated = (PGSimpleDataSource) TestStore.create(pg);
    String name = migrated.getDatabaseName();
    AgroalDataSourceConfigurationSupplier config =
        new AgroalDataSourceConfigurationSupplier()
            .connectionPoolConfiguration(p ->
                p.minSize(1)
                    .maxSize(maxConnections)
                    .acquisitionTimeout(Duration.ofSeconds(10))
                    .connectionFactoryConfiguration(f ->
                        f.jdbcUrl(pg.jdbcUrl(name))
                            .principal(new NamePrincipal(pg.username()))
                            .credential(new SimplePassword(pg.password()))
                            // As quarkus.datasource.jdbc.additional-jdbc-properties of the service.
                            .jdbcProperty("reWriteBatchedInserts", "true")
                            .jdbcProperty("ApplicationName", "buffer-bench")));
    return new BenchDatabase(pg, name, AgroalDataSource.from(config));
  }

  String name() {
    return name;
  }

  AgroalDataSource pool() {
    return pool;
  }

  /** Closes the pool and drops the database, so that runs do not share disk or cache. */
  @Override
  public void close() throws SQLException {
    pool.close();
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.username(), pg.password());
        Statement s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }
  }

  /** Runs a statement outside a transaction (CHECKPOINT, VACUUM) on the server. */
  static void admin(PostgresServer pg, String database, String sql) throws SQLException {
    try (Connection c =
            DriverManager.getConnection(pg.jdbcUrl(database), pg.username(), pg.password());
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }
}
