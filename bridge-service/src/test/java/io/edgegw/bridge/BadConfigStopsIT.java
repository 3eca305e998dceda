package io.edgegw.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.junit.main.LaunchResult;
import io.quarkus.test.junit.main.QuarkusMainLauncher;
import io.quarkus.test.junit.main.QuarkusMainTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A bad devices.yaml stops the bridge at start, with every located problem, before connecting. */
@QuarkusMainTest
@TestProfile(BadConfigStopsIT.BadFile.class)
class BadConfigStopsIT {

  /** Points the bridge at a file with two mistakes and at a broker port nobody listens on. */
  public static class BadFile implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      try {
        Path file = Files.createTempDirectory("bad-config").resolve("devices.yaml");
        Files.writeString(
            file,
            """
            version: 1
            pollGroups:
              fast: 1s
            devices:
              - id: plc
                tcp: { host: 127.0.0.1, port: 502 }
                tags:
                  - { name: a, table: holding, address: 0, type: float }
                  - { name: b, table: input, address: 1, type: int16, writable: true }
            """);
        return Map.of(
            "bridge.devices-file", file.toString(),
            "bridge.bus.port", "1",
            "bridge.bus.password", "unused");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  @Test
  void exitsWithTheLocatedErrors(QuarkusMainLauncher launcher) {
    LaunchResult result = launcher.launch();
    assertThat(result.exitCode()).isEqualTo(BridgeRuntime.EXIT_CONFIG);
    String out = result.getOutput() + result.getErrorOutput();
    assertThat(out)
        .contains("devices.yaml:8: devices[0].tags[0].type: expected one of bool, bit, int16")
        .contains(
            "devices.yaml:9: devices[0].tags[1].writable: a tag in table input cannot be written")
        .doesNotContain("connected to the local bus");
  }
}
