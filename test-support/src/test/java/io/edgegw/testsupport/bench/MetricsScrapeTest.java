package io.edgegw.testsupport.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class MetricsScrapeTest {

  static final String BEFORE =
      """
      # HELP rules_batch_processing_seconds From a batch's arrival to its alarms handed off
      # TYPE rules_batch_processing_seconds histogram
      rules_batch_processing_seconds_bucket{le="1.0E-4"} 10
      rules_batch_processing_seconds_bucket{le="5.0E-4"} 90
      rules_batch_processing_seconds_bucket{le="0.001"} 100
      rules_batch_processing_seconds_bucket{le="+Inf"} 100
      rules_batch_processing_seconds_count 100
      rules_transitions_total{transition="RAISED"} 3.0
      rules_transitions_total{transition="CLEARED"} 2.0
      """;

  static final String AFTER =
      """
      rules_batch_processing_seconds_bucket{le="1.0E-4"} 510
      rules_batch_processing_seconds_bucket{le="5.0E-4"} 1080
      rules_batch_processing_seconds_bucket{le="0.001"} 1095
      rules_batch_processing_seconds_bucket{le="+Inf"} 1100
      rules_batch_processing_seconds_count 1100
      rules_transitions_total{transition="RAISED"} 13.0
      rules_transitions_total{transition="CLEARED"} 9.0
      """;

  @Test
  void totalsSumOverLabelSetsAndByLabelsKeepsThemApart() {
    MetricsScrape after = MetricsScrape.parse(AFTER);

    assertThat(after.total("rules_transitions_total")).isEqualTo(22.0);
    assertThat(after.byLabels("rules_transitions_total"))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("{transition=\"RAISED\"}", 13.0, "{transition=\"CLEARED\"}", 9.0));
    assertThat(after.total("absent_total")).isZero();
    assertThat(after.byLabels("absent_total")).isEmpty();
  }

  @Test
  void theQuantileOfAWindowIsTheBoundOfTheBucketHoldingItInTheDelta() {
    TreeMap<Double, Double> delta =
        MetricsScrape.delta(
            MetricsScrape.parse(BEFORE),
            MetricsScrape.parse(AFTER),
            "rules_batch_processing_seconds_bucket");

    // 1,000 observations in the window: 500 <= 0.1 ms, 490 more <= 0.5 ms, 5 <= 1 ms, 5 above.
    assertThat(delta).containsEntry(1.0e-4, 500.0).containsEntry(Double.POSITIVE_INFINITY, 1000.0);
    assertThat(MetricsScrape.quantileUpperBound(delta, 0.5)).isEqualTo(1.0e-4);
    assertThat(MetricsScrape.quantileUpperBound(delta, 0.99)).isEqualTo(5.0e-4);
    assertThat(MetricsScrape.quantileUpperBound(delta, 0.995)).isEqualTo(0.001);
    assertThat(MetricsScrape.quantileUpperBound(delta, 0.999)).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(MetricsScrape.shareAtOrBelow(delta, 0.001)).isEqualTo(0.995);
  }

  @Test
  void anEmptyWindowHasNoQuantile() {
    MetricsScrape same = MetricsScrape.parse(BEFORE);
    TreeMap<Double, Double> delta =
        MetricsScrape.delta(same, same, "rules_batch_processing_seconds_bucket");

    assertThat(MetricsScrape.quantileUpperBound(delta, 0.99)).isNaN();
  }
}
