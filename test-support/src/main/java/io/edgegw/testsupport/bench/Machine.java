package io.edgegw.testsupport.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the benchmark ran on, and how busy the machine was: the numbers of a shared 2-core host are
 * only readable next to its load. Linux only ({@code /proc}).
 */
public final class Machine {
  private Machine() {}

  /** CPU model, cores, memory, kernel and JDK. */
  public static Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("cpu", firstValue(Path.of("/proc/cpuinfo"), "model name"));
    m.put("cores", Runtime.getRuntime().availableProcessors());
    m.put("memory_mb", kb(firstValue(Path.of("/proc/meminfo"), "MemTotal")) / 1024);
    m.put("kernel", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
    m.put("load_average_at_start", loadAverage());
    return m;
  }

  /** The 1, 5 and 15 minute load averages. */
  public static String loadAverage() {
    String[] parts = read(Path.of("/proc/loadavg")).split("\\s+");
    return parts[0] + " " + parts[1] + " " + parts[2];
  }

  /** Busy and total jiffies of all cores since boot (from the first line of /proc/stat). */
  public static long[] cpuJiffies() {
    String[] f = read(Path.of("/proc/stat")).lines().findFirst().orElseThrow().split("\\s+");
    long total = 0;
    for (int i = 1; i < f.length; i++) {
      total += Long.parseLong(f[i]);
    }
    long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]); // idle + iowait
    return new long[] {total - idle, total};
  }

  /** Cores kept busy between two {@link #cpuJiffies()} readings. */
  public static double busyCores(long[] before, long[] after) {
    long total = after[1] - before[1];
    return total == 0
        ? 0
        : (double) (after[0] - before[0]) / total * Runtime.getRuntime().availableProcessors();
  }

  /** Resident set of a process in kB, or -1 when it is gone. */
  public static long rssKb(long pid) {
    Path status = Path.of("/proc/" + pid + "/status");
    if (!Files.exists(status)) {
      return -1;
    }
    return kb(firstValue(status, "VmRSS"));
  }

  /** The highest resident set a process has had since it started, in kB (VmHWM), or -1. */
  public static long peakRssKb(long pid) {
    Path status = Path.of("/proc/" + pid + "/status");
    if (!Files.exists(status)) {
      return -1;
    }
    return kb(firstValue(status, "VmHWM"));
  }

  /**
   * CPU seconds a process used so far (user + system; on Linux the JDK reads them from {@code
   * /proc/<pid>/stat}), or -1 when unknown.
   */
  public static double cpuSeconds(ProcessHandle process) {
    return process.info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(-1.0);
  }

  private static long kb(String value) {
    return value == null ? -1 : Long.parseLong(value.replaceAll("\\D", ""));
  }

  private static String firstValue(Path file, String key) {
    List<String> lines = read(file).lines().toList();
    for (String line : lines) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).strip().equals(key)) {
        return line.substring(colon + 1).strip();
      }
    }
    return null;
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }
}
