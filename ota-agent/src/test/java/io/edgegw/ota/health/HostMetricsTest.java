package io.edgegw.ota.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostMetricsTest {
  @TempDir Path proc;

  @Test
  void memoryLoadAndCpuShareComeFromProc() throws Exception {
    Files.writeString(
        proc.resolve("meminfo"),
        "MemTotal:       1000000 kB\nMemFree:         100000 kB\nMemAvailable:    250000 kB\n");
    Files.writeString(proc.resolve("loadavg"), "0.42 0.30 0.20 1/234 5678\n");
    Files.writeString(proc.resolve("stat"), "cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 1 2 3 4\n");
    HostMetrics metrics = new HostMetrics(proc, proc);
    Map<String, Object> first = metrics.sample();
    assertThat(first).containsEntry("memoryTotalBytes", 1_024_000_000L);
    assertThat(first).containsEntry("memoryAvailableBytes", 256_000_000L);
    assertThat(first).containsEntry("memoryUsedPercent", 75.0);
    assertThat(first).containsEntry("load1", 0.42);
    // since boot: idle 700 + iowait 100 of 1000
    assertThat(first).containsEntry("cpuPercent", 20.0);
    assertThat((Long) first.get("diskTotalBytes")).isPositive();

    // 100 more jiffies, 50 of them busy
    Files.writeString(proc.resolve("stat"), "cpu  150 0 100 750 100 0 0 0 0 0\n");
    assertThat(metrics.sample()).containsEntry("cpuPercent", 50.0);
  }

  @Test
  void anUnreadablePartIsReportedNotThrown() {
    Map<String, Object> sample = new HostMetrics(proc.resolve("missing"), proc).sample();
    assertThat(sample).containsKeys("memoryError", "cpuError", "diskTotalBytes");
  }
}
