/**
 * What the benchmark harnesses under {@code bench/} share: a publisher of sample batches at a fixed
 * rate ({@link io.edgegw.testsupport.bench.PacedPublisher}), a parser of a service's Prometheus
 * scrape with histogram deltas ({@link io.edgegw.testsupport.bench.MetricsScrape}), and the
 * machine's description and load ({@link io.edgegw.testsupport.bench.Machine}). Linux only.
 */
package io.edgegw.testsupport.bench;
