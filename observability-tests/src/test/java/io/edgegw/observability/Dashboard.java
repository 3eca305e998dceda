package io.edgegw.observability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A Grafana dashboard JSON file as the dashboard test needs it: its time range, its template
 * variables and every query of every panel (panels inside rows included), each with the panel's
 * title and the datasource that runs it.
 */
record Dashboard(
    Path file,
    String uid,
    String title,
    String timeFrom,
    List<Variable> variables,
    List<PanelQuery> queries,
    List<String> linkUrls) {

  static final ObjectMapper JSON = new ObjectMapper();

  /** The datasource types the gateway's dashboards use. */
  enum Source {
    PROMETHEUS,
    POSTGRES;

    static Source of(JsonNode datasource, String where) {
      String type = datasource == null ? "" : datasource.path("type").asText();
      return switch (type) {
        case "prometheus" -> PROMETHEUS;
        case "grafana-postgresql-datasource", "postgres" -> POSTGRES;
        default ->
            throw new IllegalArgumentException(
                where + ": datasource type '" + type + "' is not Prometheus or PostgreSQL");
      };
    }
  }

  /**
   * One query of a panel: PromQL or SQL as written in the file.
   *
   * @param format for SQL, {@code time_series} or {@code table}; for PromQL, null
   * @param instant for PromQL, an instant query (stat, table) rather than a range
   */
  record PanelQuery(
      String dashboard,
      String panel,
      String refId,
      Source source,
      String text,
      String format,
      boolean instant) {

    /** "dashboard / panel (refId)", for failure messages. */
    String where() {
      return dashboard + " / " + panel + " (" + refId + ")";
    }
  }

  /**
   * A template variable.
   *
   * @param type query, custom or textbox
   * @param query the query (PromQL label_values or SQL) of a query variable, else the custom values
   *     or the textbox default
   * @param current the selected value in the file, or null; {@code $__all} for All
   * @param allValue the value Grafana uses for All, or null
   */
  record Variable(
      String name,
      String type,
      Source source,
      String query,
      String current,
      boolean includeAll,
      String allValue) {}

  /** Every {@code *.json} file in {@code directory}, sorted by name. */
  static List<Dashboard> loadAll(Path directory) {
    try (Stream<Path> files = Files.list(directory)) {
      List<Dashboard> all =
          files
              .filter(f -> f.getFileName().toString().endsWith(".json"))
              .sorted()
              .map(Dashboard::load)
              .toList();
      if (all.isEmpty()) {
        throw new IllegalStateException("no dashboard (*.json) in " + directory);
      }
      return all;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Dashboard load(Path file) {
    JsonNode root;
    try {
      root = JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new IllegalArgumentException(file + " is not valid JSON: " + e.getMessage(), e);
    }
    String title = require(root, "title", file.toString()).asText();
    List<Variable> variables = new ArrayList<>();
    for (JsonNode v : root.path("templating").path("list")) {
      String name = require(v, "name", file + " templating").asText();
      String type = v.path("type").asText();
      JsonNode q = v.path("query");
      String query = q.isObject() ? q.path("query").asText() : q.asText();
      Source source =
          type.equals("query") ? Source.of(v.get("datasource"), file + " variable " + name) : null;
      JsonNode current = v.path("current").path("value");
      variables.add(
          new Variable(
              name,
              type,
              source,
              query,
              current.isMissingNode() || current.isNull() ? null : current.asText(),
              v.path("includeAll").asBoolean(false),
              v.hasNonNull("allValue") ? v.get("allValue").asText() : null));
    }
    List<PanelQuery> queries = new ArrayList<>();
    collect(title, root.path("panels"), queries);
    List<String> links = new ArrayList<>();
    for (JsonNode l : root.path("links")) {
      if (l.path("type").asText().equals("link")) {
        links.add(l.path("url").asText());
      }
    }
    return new Dashboard(
        file,
        root.path("uid").asText(),
        title,
        root.path("time").path("from").asText("now-6h"),
        variables,
        queries,
        links);
  }

  private static void collect(String dashboard, JsonNode panels, List<PanelQuery> out) {
    for (JsonNode p : panels) {
      String title = p.path("title").asText("(untitled)");
      if (p.path("type").asText().equals("row")) {
        collect(dashboard, p.path("panels"), out);
        continue;
      }
      JsonNode targets = p.path("targets");
      if (targets.isEmpty()) {
        throw new IllegalArgumentException(dashboard + " / " + title + ": panel has no query");
      }
      for (JsonNode t : targets) {
        String refId = t.path("refId").asText("?");
        String where = dashboard + " / " + title + " (" + refId + ")";
        JsonNode ds = t.hasNonNull("datasource") ? t.get("datasource") : p.get("datasource");
        Source source = Source.of(ds, where);
        String text =
            switch (source) {
              case PROMETHEUS -> require(t, "expr", where).asText();
              case POSTGRES -> require(t, "rawSql", where).asText();
            };
        if (text.isBlank()) {
          throw new IllegalArgumentException(where + ": empty query");
        }
        out.add(
            new PanelQuery(
                dashboard,
                title,
                refId,
                source,
                text,
                source == Source.POSTGRES ? t.path("format").asText("time_series") : null,
                t.path("instant").asBoolean(false)));
      }
    }
  }

  private static JsonNode require(JsonNode node, String field, String where) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      throw new IllegalArgumentException(where + ": no '" + field + "'");
    }
    return v;
  }
}
