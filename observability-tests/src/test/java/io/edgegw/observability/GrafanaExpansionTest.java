package io.edgegw.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgegw.observability.GrafanaExpansion.TimeRange;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GrafanaExpansionTest {
  static final Instant NOW = Instant.parse("2026-11-27T12:00:00Z");
  static final TimeRange DAY = TimeRange.lastFrom("now-1d", NOW);

  @Test
  void aTimeRangeIsReadFromGrafanasRelativeFrom() {
    assertThat(TimeRange.lastFrom("now-30d", NOW).from())
        .isEqualTo(Instant.parse("2026-10-28T12:00:00Z"));
    assertThat(DAY.interval()).isEqualTo(Duration.ofSeconds(86));
    assertThatThrownBy(() -> TimeRange.lastFrom("yesterday", NOW))
        .hasMessageContaining("'from' yesterday is not of the form now-<n><unit>");
  }

  @Test
  void sqlMacrosExpandToTheSqlGrafanaGeneratesAndVariablesAreSubstituted() {
    String sql =
        GrafanaExpansion.sql(
            "SELECT $__timeGroupAlias(s.ts, '$bucket'), avg(value) FROM sample s"
                + " WHERE se.device = '${device}' AND $__timeFilter(s.ts) GROUP BY 1",
            Map.of("bucket", "1h", "device", "tank"),
            DAY);
    assertThat(sql)
        .isEqualTo(
            "SELECT floor(extract(epoch from s.ts)/3600)*3600 AS \"time\", avg(value) FROM sample"
                + " s WHERE se.device = 'tank' AND s.ts BETWEEN '2026-11-26T12:00:00Z' AND"
                + " '2026-11-27T12:00:00Z' GROUP BY 1");
    assertThat(
            GrafanaExpansion.sql(
                "SELECT $__timeGroup(date_trunc('s', ts), $__interval)", Map.of(), DAY))
        .isEqualTo("SELECT floor(extract(epoch from date_trunc('s', ts))/86)*86");
  }

  @Test
  void promqlIntervalsFollowGrafanasRules() {
    TimeRange fiveMinutes = TimeRange.lastFrom("now-5m", NOW);
    assertThat(
            GrafanaExpansion.promql(
                "rate(x{device=~\"$device\"}[$__rate_interval])",
                Map.of("device", ".*"),
                fiveMinutes,
                Duration.ofSeconds(1)))
        .isEqualTo("rate(x{device=~\".*\"}[4s])");
  }

  @Test
  void anUnknownVariableOrMacroIsAnErrorNamingIt() {
    assertThatThrownBy(() -> GrafanaExpansion.sql("SELECT '$dev'", Map.of("device", "a"), DAY))
        .hasMessage("'$dev' is neither a variable of the dashboard nor a known macro");
    assertThatThrownBy(() -> GrafanaExpansion.sql("SELECT $__timeShift(ts)", Map.of(), DAY))
        .hasMessage("unknown Grafana macro $__timeShift");
    assertThatThrownBy(() -> GrafanaExpansion.sql("SELECT $__timeGroup(ts, 'soon')", Map.of(), DAY))
        .hasMessageContaining("'soon' is not a Grafana duration");
  }
}
