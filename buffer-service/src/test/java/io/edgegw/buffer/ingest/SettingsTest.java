package io.edgegw.buffer.ingest;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgegw.buffer.maintenance.StoreMaintenance;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Bad settings stop the service at start with a message naming the value. */
class SettingsTest {
  @Test
  void ingestSettingsAreChecked() {
    assertThatThrownBy(() -> new IngestWriter.Settings(0, Duration.ofMillis(200), 10))
        .hasMessage("batch rows must be at least 1, got 0");
    assertThatThrownBy(() -> new IngestWriter.Settings(10, Duration.ZERO, 10))
        .hasMessage("max flush delay must be positive, got PT0S");
  }

  @Test
  void storeSettingsAreChecked() {
    assertThatThrownBy(() ->
            new StoreMaintenance.Settings(Duration.ofHours(12), 1, Duration.ofHours(1), 2, "cloud"))
        .hasMessage("retention must be at least 1d, got PT12H");
    assertThatThrownBy(() ->
            new StoreMaintenance.Settings(Duration.ofDays(30), 0, Duration.ofHours(1), 2, "cloud"))
        .hasMessage("quota must be positive, got 0");
    assertThatThrownBy(() ->
            new StoreMaintenance.Settings(
                Duration.ofDays(30), 1, Duration.ofSeconds(5), 2, "cloud"))
        .hasMessage("quota drop step must be at least 1m, got PT5S");
    assertThatThrownBy(() ->
            new StoreMaintenance.Settings(Duration.ofDays(30), 1, Duration.ofHours(1), 31, "cloud"))
        .hasMessage("days ahead must be 0..30, got 31");
  }
}
