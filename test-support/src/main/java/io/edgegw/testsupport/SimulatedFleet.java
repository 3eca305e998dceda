package io.edgegw.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Many simulated Modbus TCP devices in one process, for the bridge benchmark: {@code --devices}
 * direct j2mod slaves on consecutive loopback ports from {@code --base-port}, each with {@code
 * --tags} tags whose values change every second, and the matching devices.yaml written to {@code
 * --devices-yaml}. Tags are a mix of int16, uint16 and float32 with small gaps, so the bridge must
 * coalesce reads. Runs until killed.
 *
 * <p>For the stack benchmark the fleet runs in the plant container: {@code --bind 0.0.0.0} listens
 * on every interface and {@code --yaml-host plant} names the container in devices.yaml; {@code
 * --yaml-only} writes devices.yaml ({@code --devices-yaml -}: to standard output) and exits,
 * without starting any device. {@code --period-ms} (default 1000) is both how often the values
 * change and the poll interval in devices.yaml.
 */
public final class SimulatedFleet {
  private SimulatedFleet() {}

  /** One tag of the fleet's device layout. */
  record FleetTag(String name, int address, String type) {}

  /** The register layout every fleet device shares: 1,000 tags use ~1,400 registers. */
  static List<FleetTag> layout(int tags) {
    List<FleetTag> out = new ArrayList<>();
    int address = 0;
    for (int i = 0; i < tags; i++) {
      String type =
          switch (i % 4) {
            case 0, 1 -> "int16";
            case 2 -> "uint16";
            default -> "float32";
          };
      out.add(new FleetTag("t" + i, address, type));
      address += type.equals("float32") ? 2 : 1;
      if (i % 10 == 9) {
        address += 2; // a small gap, read through (maxGap 8)
      }
    }
    return out;
  }

  /** Entry point; see the class comment for the arguments. */
  public static void main(String[] args) throws IOException, InterruptedException {
    int devices = 100;
    int tags = 1_000;
    int basePort = 16_000;
    Path yaml = Path.of("devices.yaml");
    String bind = "127.0.0.1";
    String yamlHost = null;
    boolean yamlOnly = false;
    int periodMs = 1000;
    for (int i = 0; i < args.length; i += 2) {
      if (args[i].equals("--yaml-only")) {
        yamlOnly = true;
        i--;
        continue;
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("argument " + args[i] + " needs a value");
      }
      switch (args[i]) {
        case "--bind" -> bind = args[i + 1];
        case "--period-ms" -> periodMs = Integer.parseInt(args[i + 1]);
        case "--yaml-host" -> yamlHost = args[i + 1];
        case "--devices" -> devices = Integer.parseInt(args[i + 1]);
        case "--tags" -> tags = Integer.parseInt(args[i + 1]);
        case "--base-port" -> basePort = Integer.parseInt(args[i + 1]);
        case "--devices-yaml" -> yaml = Path.of(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    List<FleetTag> layout = layout(tags);
    writeYaml(yaml, devices, basePort, yamlHost == null ? bind : yamlHost, layout, periodMs);
    if (yamlOnly) {
      return;
    }
    int size = layout.getLast().address() + 2;
    java.net.InetAddress address = java.net.InetAddress.getByName(bind);
    List<ModbusTcpSimulator> sims = new ArrayList<>();
    for (int d = 0; d < devices; d++) {
      sims.add(ModbusTcpSimulator.directAt(address, basePort + d, 1, size));
    }
    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
    long[] tick = {0};
    ticker.scheduleAtFixedRate(
        () -> {
          tick[0]++;
          for (int d = 0; d < sims.size(); d++) {
            UnitImage image = sims.get(d).unit();
            for (FleetTag t : layout) {
              int v = (int) ((tick[0] + d + t.address()) % 30_000);
              if (t.type().equals("float32")) {
                image.setFloat32(RegisterTable.HOLDING, t.address(), v / 10f);
              } else {
                image.setHolding(t.address(), (short) v);
              }
            }
          }
        },
        0,
        periodMs,
        TimeUnit.MILLISECONDS);
    System.out.printf(
        "fleet: %d devices x %d tags on %s:%d..%d%n",
        devices, tags, bind, basePort, basePort + devices - 1);
    new CountDownLatch(1).await();
  }

  private static void writeYaml(
      Path yaml, int devices, int basePort, String host, List<FleetTag> layout, int periodMs)
      throws IOException {
    StringBuilder out =
        new StringBuilder("version: 1\npollGroups:\n  fast: " + periodMs + "ms\ndevices:\n");
    for (int d = 0; d < devices; d++) {
      out.append("  - id: dev")
          .append(d)
          .append("\n    tcp: { host: ")
          .append(host)
          .append(", port: ")
          .append(basePort + d)
          .append(" }\n    timeout: 1s\n    maxGap: 8\n    tags:\n");
      for (FleetTag t : layout) {
        out.append("      - { name: ")
            .append(t.name())
            .append(", table: holding, address: ")
            .append(t.address())
            .append(", type: ")
            .append(t.type())
            .append(" }\n");
      }
    }
    if (yaml.toString().equals("-")) {
      System.out.print(out);
      System.out.flush();
      return;
    }
    Path tmp = yaml.resolveSibling(yaml.getFileName() + ".tmp");
    Files.writeString(tmp, out);
    Files.move(tmp, yaml, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }
}
