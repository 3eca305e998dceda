package io.edgegw.ota.health;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Disk, memory and CPU of the host, read from {@code /proc} and the file system. CPU use is the
 * share of non-idle time between two calls of {@link #sample()}.
 */
public final class HostMetrics {
  private final Path proc;
  private final Path disk;
  private long lastTotal = -1;
  private long lastIdle = -1;

  /**
   * @param proc the proc file system ({@code /proc})
   * @param disk a path on the file system whose usage is reported
   */
  public HostMetrics(Path proc, Path disk) {
    this.proc = proc;
    this.disk = disk;
  }

  /** A JSON-friendly snapshot; a part that cannot be read is reported as an {@code error}. */
  public synchronized Map<String, Object> sample() {
    Map<String, Object> out = new LinkedHashMap<>();
    try {
      FileStore store = Files.getFileStore(disk);
      long total = store.getTotalSpace();
      long free = store.getUsableSpace();
      out.put("diskPath", disk.toString());
      out.put("diskTotalBytes", total);
      out.put("diskFreeBytes", free);
      out.put("diskUsedPercent", total == 0 ? 0.0 : round(100.0 * (total - free) / total));
    } catch (IOException e) {
      out.put("diskError", e.getMessage());
    }
    try {
      Map<String, Long> mem = meminfo();
      long total = mem.getOrDefault("MemTotal", 0L) * 1024;
      long available = mem.getOrDefault("MemAvailable", 0L) * 1024;
      out.put("memoryTotalBytes", total);
      out.put("memoryAvailableBytes", available);
      out.put("memoryUsedPercent", total == 0 ? 0.0 : round(100.0 * (total - available) / total));
    } catch (IOException | RuntimeException e) {
      out.put("memoryError", String.valueOf(e.getMessage()));
    }
    try {
      String[] load = Files.readString(proc.resolve("loadavg")).trim().split("\\s+");
      out.put("load1", Double.parseDouble(load[0]));
      out.put("cpuPercent", cpuPercent());
    } catch (IOException | RuntimeException e) {
      out.put("cpuError", String.valueOf(e.getMessage()));
    }
    return out;
  }

  private Map<String, Long> meminfo() throws IOException {
    Map<String, Long> values = new LinkedHashMap<>();
    for (String line : Files.readAllLines(proc.resolve("meminfo"))) {
      String[] parts = line.split(":\\s*|\\s+");
      if (parts.length >= 2) {
        values.put(parts[0], Long.parseLong(parts[1]));
      }
    }
    return values;
  }

  /** Non-idle share of the time since the previous call (since boot on the first call). */
  private double cpuPercent() throws IOException {
    List<String> lines = Files.readAllLines(proc.resolve("stat"));
    String[] f = lines.getFirst().trim().split("\\s+");
    long total = 0;
    for (int i = 1; i < f.length; i++) {
      total += Long.parseLong(f[i]);
    }
    long idle = Long.parseLong(f[4]) + (f.length > 5 ? Long.parseLong(f[5]) : 0);
    long dTotal = lastTotal < 0 ? total : total - lastTotal;
    long dIdle = lastIdle < 0 ? idle : idle - lastIdle;
    lastTotal = total;
    lastIdle = idle;
    return dTotal <= 0 ? 0.0 : round(100.0 * (dTotal - dIdle) / dTotal);
  }

  private static double round(double v) {
    return Math.round(v * 10) / 10.0;
  }
}
