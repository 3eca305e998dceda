package io.edgegw.gwctl.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgegw.contracts.Command;
import io.edgegw.gwctl.Gwctl;
import io.edgegw.testsupport.MosquittoBroker;
import io.edgegw.testsupport.TestPki;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * gwctl's fleet commands through a real TLS Mosquitto (mTLS) standing in for the cloud broker, with
 * three simulated gateways answering as uplink's relay and the ota-agent would.
 */
class FleetIT {

  private static TestPki pki;
  private static MosquittoBroker cloud;
  private static final List<SimulatedGateway> GATEWAYS = new ArrayList<>();
  private static List<String> brokerArgs;

  @TempDir Path tmp;

  record Run(int exit, String out, String err) {}

  @BeforeAll
  static void startCloud() throws Exception {
    pki = TestPki.create();
    TestPki.Issued server = pki.server("127.0.0.1");
    cloud =
        MosquittoBroker.builder()
            .tls(pki.ca().certFile(), server.certFile(), server.keyFile(), true)
            .start();
    for (String id : List.of("gw-a", "gw-b", "gw-c")) {
      GATEWAYS.add(new SimulatedGateway(id, cloud, pki));
    }
    TestPki.Issued operator = pki.client("gwctl");
    brokerArgs =
        List.of(
            "--broker", "ssl://127.0.0.1:" + cloud.port(),
            "--ca", pki.ca().certFile().toString(),
            "--cert", operator.certFile().toString(),
            "--key", operator.keyFile().toString());
  }

  @AfterAll
  static void stopCloud() throws Exception {
    for (SimulatedGateway g : GATEWAYS) {
      g.close();
    }
    cloud.close();
    pki.close();
  }

  @BeforeEach
  void reset() {
    for (SimulatedGateway g : GATEWAYS) {
      g.received.clear();
      g.behaviour = SimulatedGateway.Behaviour.OK;
    }
  }

  @Test
  void deployToAllInWavesHaltsAfterAFailure() {
    gateway("gw-b").behaviour = SimulatedGateway.Behaviour.FAIL;
    Run run =
        gwctl(
            "deploy",
            "--all",
            "--repo",
            "edgegw/stack",
            "--ref",
            "1.2.0",
            "--wave-size",
            "1",
            "--halt-after-failures",
            "1");

    assertThat(run.exit()).as(run.out() + run.err()).isEqualTo(Gwctl.FLEET_FAILED);
    assertThat(deploys("gw-a")).hasSize(1);
    assertThat(deploys("gw-b")).hasSize(1);
    assertThat(gateway("gw-c").received).isEmpty();
    assertThat(run.out())
        .contains("deploy {", "to 3 gateway(s)")
        .contains("wave 1/3: gw-a")
        .contains("gw-a ... downloading")
        .contains("gw-a OK: {installed=1.2.0}")
        .contains("gw-b FAILED: health gate: bridge not ready within 3m; rolled back to 1.1.0")
        .contains("halted: 1 gateway(s) failed")
        .doesNotContain("wave 3/3")
        .contains("deploy: 1 ok, 1 failed, 1 skipped (halted)");
    assertThat(run.err()).startsWith("gwctl: deploy: 1 ok, 1 failed, 1 skipped").hasLineCount(1);
  }

  @Test
  void deployToAllInWavesOfTwoReachesEveryGateway() {
    Run run =
        gwctl(
            "deploy",
            "--all",
            "--repo",
            "edgegw/stack",
            "--ref",
            "sha256:" + "ab".repeat(32),
            "--wave-size",
            "2");
    assertThat(run.exit()).as(run.out() + run.err()).isZero();
    for (String id : List.of("gw-a", "gw-b", "gw-c")) {
      List<Command> got = deploys(id);
      assertThat(got).as(id).hasSize(1);
      assertThat(got.getFirst().args())
          .isEqualTo(
              Map.of("repository", "edgegw/stack", "reference", "sha256:" + "ab".repeat(32)));
      assertThat(got.getFirst().deadline()).isGreaterThan(System.currentTimeMillis());
    }
    assertThat(run.out())
        .contains("wave 1/2: gw-a, gw-b", "wave 2/2: gw-c", "deploy: 3 ok, 0 failed, 0 skipped");
  }

  @Test
  void aGatewayThatDoesNotAnswerFailsAfterTheTimeout() {
    gateway("gw-c").behaviour = SimulatedGateway.Behaviour.SILENT;
    Run run =
        gwctl(
            "deploy",
            "--gateway",
            "gw-a,gw-c",
            "--repo",
            "edgegw/stack",
            "--ref",
            "1.2.0",
            "--wave-size",
            "2",
            "--timeout",
            "PT1S");
    assertThat(run.exit()).isEqualTo(Gwctl.FLEET_FAILED);
    assertThat(run.out())
        .contains("gw-c FAILED: no reply within 1 s", "deploy: 1 ok, 1 failed, 0 skipped");
  }

  @Test
  void restartOneServiceOnAGroup() throws Exception {
    Path inventory =
        Files.writeString(tmp.resolve("fleet.yaml"), "groups:\n  line-2: [gw-b, gw-c]\n");
    Run run =
        gwctl(
            "restart",
            "--group",
            "line-2",
            "--inventory",
            inventory.toString(),
            "--service",
            "bridge");
    assertThat(run.exit()).as(run.out() + run.err()).isZero();
    assertThat(gateway("gw-a").received).isEmpty();
    for (String id : List.of("gw-b", "gw-c")) {
      assertThat(gateway(id).received)
          .singleElement()
          .satisfies(c -> {
            assertThat(c.target()).isEqualTo("ota");
            assertThat(c.verb()).isEqualTo("restart");
            assertThat(c.args()).isEqualTo(Map.of("service", "bridge"));
          });
    }
    Run unknownGroup = gwctl("restart", "--group", "line-9", "--inventory", inventory.toString());
    assertThat(unknownGroup.exit()).isEqualTo(Gwctl.FAILED);
    assertThat(unknownGroup.err()).contains("no group 'line-9'");
  }

  @Test
  void statusListsTheFleet() {
    Run run = gwctl("status", "--all");
    assertThat(run.exit()).as(run.out() + run.err()).isZero();
    assertThat(run.out())
        .contains("gw-a  ONLINE", "gw-b  ONLINE", "gw-c  ONLINE", "3 gateway(s), 0 unknown");
    Run unknown = gwctl("status", "--gateway", "gw-a,gw-zz");
    assertThat(unknown.exit()).isEqualTo(Gwctl.FLEET_FAILED);
    assertThat(unknown.out()).contains("gw-zz  UNKNOWN");
  }

  @Test
  void aBrokerWithAnotherCaIsUnavailableAndNothingIsSent() throws Exception {
    try (TestPki other = TestPki.create()) {
      List<String> args =
          new ArrayList<>(List.of("deploy", "--all", "--repo", "edgegw/stack", "--ref", "1.2.0"));
      args.addAll(brokerArgs);
      args.set(args.indexOf("--ca") + 1, other.ca().certFile().toString());
      Run run = run(args);
      assertThat(run.exit()).as(run.err()).isEqualTo(Gwctl.UNAVAILABLE);
      assertThat(run.err()).startsWith("gwctl: cannot connect to broker").hasLineCount(1);
    }
    for (SimulatedGateway g : GATEWAYS) {
      assertThat(g.received).isEmpty();
    }
  }

  private static SimulatedGateway gateway(String id) {
    return GATEWAYS.stream().filter(g -> g.id.equals(id)).findFirst().orElseThrow();
  }

  private static List<Command> deploys(String id) {
    return gateway(id).received.stream().filter(c -> c.verb().equals("deploy")).toList();
  }

  private static Run gwctl(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(brokerArgs);
    return run(all);
  }

  private static Run run(List<String> args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cli = Gwctl.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exit = cli.execute(args.toArray(String[]::new));
    return new Run(exit, out.toString(), err.toString());
  }
}
