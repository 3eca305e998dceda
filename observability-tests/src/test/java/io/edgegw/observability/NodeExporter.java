package io.edgegw.observability;

import static org.awaitility.Awaitility.await;

import io.edgegw.testsupport.FreePorts;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Debian's prometheus-node-exporter on a free 127.0.0.1 port, with the collectors the dashboards
 * read (filesystem, memory, CPU, load), for the dashboard test.
 */
final class NodeExporter implements AutoCloseable {
  private final ExternalProgram program;
  private final int port;

  private NodeExporter(ExternalProgram program, int port) {
    this.program = program;
    this.port = port;
  }

  static NodeExporter start(Path workDir) {
    Path binary = ExternalProgram.find("prometheus-node-exporter", "prometheus-node-exporter");
    int port = FreePorts.loopback();
    ExternalProgram program =
        ExternalProgram.start(
            "node-exporter",
            List.of(
                binary.toString(),
                "--web.listen-address=127.0.0.1:" + port,
                "--collector.disable-defaults",
                "--collector.filesystem",
                "--collector.meminfo",
                "--collector.cpu",
                "--collector.loadavg",
                "--log.level=warn"),
            workDir,
            workDir.resolve("node-exporter.log"));
    NodeExporter exporter = new NodeExporter(program, port);
    try {
      await("node-exporter listening on 127.0.0.1:" + port)
          .atMost(Duration.ofSeconds(20))
          .pollInterval(Duration.ofMillis(50))
          .until(() -> {
            if (!program.isAlive()) {
              throw new IllegalStateException("node-exporter exited\n" + program.logTail());
            }
            try (Socket s = new Socket("127.0.0.1", port)) {
              return true;
            } catch (IOException e) {
              return false;
            }
          });
      return exporter;
    } catch (RuntimeException e) {
      exporter.close();
      throw e;
    }
  }

  /** host:port, a Prometheus target. */
  String target() {
    return "127.0.0.1:" + port;
  }

  @Override
  public void close() {
    program.close();
  }
}
