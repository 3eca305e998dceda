package io.edgegw.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

class PostgresServerIT {

  private static Connection connect(PostgresServer pg) throws SQLException {
    return DriverManager.getConnection(pg.jdbcUrl(), pg.username(), pg.password());
  }

  private static long count(PostgresServer pg) throws SQLException {
    try (Connection c = connect(pg);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("select count(*) from t")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void committedRowsSurviveARestartAndAKill() throws Exception {
    try (PostgresServer pg = PostgresServer.start()) {
      int port = pg.port();
      try (Connection c = connect(pg);
          Statement s = c.createStatement()) {
        s.execute("create table t (id int primary key)");
        s.execute("insert into t select generate_series(1, 1000)");
      }
      pg.restart();
      assertThat(pg.port()).isEqualTo(port);
      assertThat(count(pg)).isEqualTo(1000);

      try (Connection c = connect(pg);
          Statement s = c.createStatement()) {
        s.execute("insert into t select generate_series(1001, 1500)");
      }
      pg.kill();
      assertThatThrownBy(() -> connect(pg)).isInstanceOf(SQLException.class);
      pg.resume();
      assertThat(count(pg)).as("committed before the kill").isEqualTo(1500);
    }
  }

  @Test
  void refusesAWrongPassword() {
    try (PostgresServer pg = PostgresServer.start()) {
      assertThatThrownBy(
              () -> DriverManager.getConnection(pg.jdbcUrl(), pg.username(), "wrong").close())
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("password authentication failed");
    }
  }
}
