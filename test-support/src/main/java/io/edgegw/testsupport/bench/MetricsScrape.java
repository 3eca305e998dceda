package io.edgegw.testsupport.bench;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One scrape of the service's Prometheus text: counters and histogram buckets, by name. */
public final class MetricsScrape {
  private static final Pattern LINE =
      Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*\\})?\\s+(\\S+)$");
  private static final Pattern LE = Pattern.compile("le=\"([^\"]+)\"");

  /** Sum over label sets, per metric name. */
  private final Map<String, Double> totals = new HashMap<>();

  /** Per metric name: label set as written (e.g. {@code {transition="RAISED"}}) to value. */
  private final Map<String, Map<String, Double>> series = new HashMap<>();

  /** Per histogram bucket name: upper bound to cumulative count, summed over label sets. */
  private final Map<String, TreeMap<Double, Double>> buckets = new HashMap<>();

  private MetricsScrape() {}

  /** Parses the Prometheus text format; lines that are not samples (comments) are skipped. */
  public static MetricsScrape parse(String text) {
    MetricsScrape s = new MetricsScrape();
    for (String line : text.split("\n")) {
      Matcher m = LINE.matcher(line.strip());
      if (!m.matches()) {
        continue;
      }
      double value = Double.parseDouble(m.group(3).replace("+Inf", "Infinity"));
      s.totals.merge(m.group(1), value, Double::sum);
      s.series
          .computeIfAbsent(m.group(1), k -> new TreeMap<>())
          .put(m.group(2) == null ? "" : m.group(2), value);
      if (m.group(1).endsWith("_bucket") && m.group(2) != null) {
        Matcher le = LE.matcher(m.group(2));
        if (le.find()) {
          double bound = Double.parseDouble(le.group(1).replace("+Inf", "Infinity"));
          s.buckets
              .computeIfAbsent(m.group(1), k -> new TreeMap<>())
              .merge(bound, value, Double::sum);
        }
      }
    }
    return s;
  }

  /** The metric summed over its label sets; 0 when absent. */
  public double total(String name) {
    return totals.getOrDefault(name, 0.0);
  }

  /**
   * The metric's value per label set, keyed by the label set as the scrape writes it ({@code
   * {transition="RAISED"}}, or "" for none); empty when absent.
   */
  public Map<String, Double> byLabels(String name) {
    return series.getOrDefault(name, Map.of());
  }

  /**
   * The difference of a histogram between two scrapes: upper bound (seconds) to the count of
   * observations at or below it made between them.
   */
  public static TreeMap<Double, Double> delta(
      MetricsScrape before, MetricsScrape after, String bucket) {
    TreeMap<Double, Double> d = new TreeMap<>();
    TreeMap<Double, Double> a = after.buckets.getOrDefault(bucket, new TreeMap<>());
    TreeMap<Double, Double> b = before.buckets.getOrDefault(bucket, new TreeMap<>());
    a.forEach((le, count) -> d.put(le, count - b.getOrDefault(le, 0.0)));
    return d;
  }

  /**
   * The upper bound of the bucket that holds quantile {@code q} of a (delta) histogram: the true
   * quantile is at most this. Infinity when it lies beyond the largest finite bucket; NaN when the
   * histogram is empty.
   */
  public static double quantileUpperBound(TreeMap<Double, Double> cumulative, double q) {
    if (cumulative.isEmpty() || cumulative.lastEntry().getValue() <= 0) {
      return Double.NaN;
    }
    double target = q * cumulative.lastEntry().getValue();
    for (Map.Entry<Double, Double> e : cumulative.entrySet()) {
      if (e.getValue() >= target) {
        return e.getKey();
      }
    }
    return Double.POSITIVE_INFINITY;
  }

  /** Share of the observations at or below {@code bound} (which must be a bucket bound). */
  public static double shareAtOrBelow(TreeMap<Double, Double> cumulative, double bound) {
    if (cumulative.isEmpty() || cumulative.lastEntry().getValue() <= 0) {
      return Double.NaN;
    }
    Double count = cumulative.get(bound);
    return count == null ? Double.NaN : count / cumulative.lastEntry().getValue();
  }
}
