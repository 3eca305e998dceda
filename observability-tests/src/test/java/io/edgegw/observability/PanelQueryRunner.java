package io.edgegw.observability;

import com.fasterxml.jackson.databind.JsonNode;
import io.edgegw.observability.Dashboard.PanelQuery;
import io.edgegw.observability.Dashboard.Source;
import io.edgegw.observability.Dashboard.Variable;
import io.edgegw.observability.GrafanaExpansion.TimeRange;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Runs a dashboard's queries the way Grafana would: template variables first (a query variable's
 * own query runs, and must list something), then every panel query expanded ({@link
 * GrafanaExpansion}) against the real Prometheus or the real edge store. A query "has data" when
 * Prometheus returns at least one series with a finite value, or PostgreSQL at least one row (and,
 * for a time series, a {@code time} column).
 */
final class PanelQueryRunner {

  /** The outcome of one query: what ran and, when it has no data or failed, why. */
  record Outcome(String where, Source source, String query, String problem, List<String> rows) {
    boolean ok() {
      return problem == null;
    }

    String report() {
      return where + " [" + source + "]: " + problem + "\n    " + query.replace("\n", "\n    ");
    }
  }

  private final PrometheusServer prometheus;
  private final Supplier<Connection> store;
  private final Instant prometheusStart;

  PanelQueryRunner(PrometheusServer prometheus, Supplier<Connection> store, Instant start) {
    this.prometheus = prometheus;
    this.store = store;
    this.prometheusStart = start;
  }

  /** The dashboard's variables as Grafana would set them, or the outcomes that failed. */
  Map<String, String> variables(Dashboard d, TimeRange range, List<Outcome> failures) {
    Map<String, String> values = new LinkedHashMap<>();
    for (Variable v : d.variables()) {
      String where = d.title() + " / variable $" + v.name();
      switch (v.type()) {
        case "textbox", "constant" ->
            values.put(v.name(), v.current() != null ? v.current() : v.query());
        case "custom" -> {
          String first = v.query().split(",")[0].strip();
          values.put(v.name(), v.current() != null ? v.current() : first);
        }
        case "query" -> {
          List<String> options;
          String query;
          try {
            if (v.source() == Source.PROMETHEUS) {
              query = GrafanaExpansion.variables(v.query(), values);
              var m =
                  java.util.regex.Pattern.compile("label_values\\((.+),\\s*(\\w+)\\)")
                      .matcher(query.strip());
              if (!m.matches()) {
                throw new IllegalArgumentException(
                    "only label_values(metric, label) is understood: " + query);
              }
              options = prometheus.labelValues(m.group(1), m.group(2));
            } else {
              query = GrafanaExpansion.sql(v.query(), values, range);
              options = sqlFirstColumn(query);
            }
          } catch (RuntimeException | SQLException e) {
            failures.add(new Outcome(where, v.source(), v.query(), e.toString(), List.of()));
            values.put(v.name(), "");
            continue;
          }
          if (options.isEmpty()) {
            failures.add(
                new Outcome(where, v.source(), query, "the variable lists nothing", List.of()));
            values.put(v.name(), "");
          } else if (v.includeAll() && "$__all".equals(v.current())) {
            values.put(v.name(), v.allValue() != null ? v.allValue() : String.join("|", options));
          } else {
            values.put(v.name(), options.getFirst());
          }
        }
        default ->
            failures.add(
                new Outcome(
                    where, null, v.query(), "unknown variable type " + v.type(), List.of()));
      }
    }
    return values;
  }

  /** Runs every query of {@code d}; the result lists one outcome per query and variable failure. */
  List<Outcome> run(Dashboard d, Instant now) {
    TimeRange range = TimeRange.lastFrom(d.timeFrom(), now);
    List<Outcome> outcomes = new ArrayList<>();
    Map<String, String> values = variables(d, range, outcomes);
    for (PanelQuery q : d.queries()) {
      outcomes.add(run(q, values, range, now));
    }
    return outcomes;
  }

  Outcome run(PanelQuery q, Map<String, String> values, TimeRange range, Instant now) {
    String query = q.text();
    try {
      return switch (q.source()) {
        case PROMETHEUS -> {
          query =
              GrafanaExpansion.promql(q.text(), values, range, PrometheusServer.SCRAPE_INTERVAL);
          JsonNode result =
              q.instant()
                  ? prometheus.query(query)
                  : prometheus.queryRange(
                      query, max(range.from(), prometheusStart), now, Duration.ofSeconds(1));
          yield promOutcome(q, query, result);
        }
        case POSTGRES -> {
          query = GrafanaExpansion.sql(q.text(), values, range);
          yield sqlOutcome(q, query);
        }
      };
    } catch (RuntimeException | SQLException | AssertionError e) {
      return new Outcome(q.where(), q.source(), query, e.toString(), List.of());
    }
  }

  private static Outcome promOutcome(PanelQuery q, String query, JsonNode result) {
    List<String> rows = new ArrayList<>();
    for (JsonNode series : result) {
      List<JsonNode> points = new ArrayList<>();
      if (series.has("values")) {
        series.get("values").forEach(points::add);
      } else {
        points.add(series.get("value"));
      }
      for (JsonNode p : points) {
        double v = Double.parseDouble(p.get(1).asText());
        if (Double.isFinite(v)) {
          rows.add(series.path("metric").toString() + " " + p.get(1).asText());
        }
      }
    }
    String problem =
        result.isEmpty()
            ? "no series"
            : rows.isEmpty() ? "only NaN or infinite values (" + result.size() + " series)" : null;
    return new Outcome(q.where(), q.source(), query, problem, rows);
  }

  private Outcome sqlOutcome(PanelQuery q, String query) throws SQLException {
    List<String> rows = new ArrayList<>();
    boolean hasTime = false;
    try (Connection c = store.get();
        Statement s = c.createStatement()) {
      s.setQueryTimeout(20);
      try (ResultSet r = s.executeQuery(query)) {
        ResultSetMetaData meta = r.getMetaData();
        for (int i = 1; i <= meta.getColumnCount(); i++) {
          hasTime |= meta.getColumnLabel(i).equals("time");
        }
        while (r.next() && rows.size() < 10_000) {
          StringBuilder row = new StringBuilder();
          for (int i = 1; i <= meta.getColumnCount(); i++) {
            row.append(i > 1 ? " | " : "")
                .append(meta.getColumnLabel(i))
                .append('=')
                .append(r.getString(i));
          }
          rows.add(row.toString());
        }
      }
    }
    String problem =
        rows.isEmpty()
            ? "no rows"
            : "time_series".equals(q.format()) && !hasTime
                ? "a time series needs a column named time"
                : null;
    return new Outcome(q.where(), q.source(), query, problem, rows);
  }

  private List<String> sqlFirstColumn(String query) throws SQLException {
    List<String> values = new ArrayList<>();
    try (Connection c = store.get();
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery(query)) {
      while (r.next()) {
        values.add(r.getString(1));
      }
    }
    return values;
  }

  private static Instant max(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }
}
