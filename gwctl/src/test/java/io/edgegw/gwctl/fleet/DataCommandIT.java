package io.edgegw.gwctl.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import io.edgegw.contracts.Command;
import io.edgegw.contracts.CommandResult;
import io.edgegw.contracts.PayloadCodec;
import io.edgegw.gwctl.Gwctl;
import io.edgegw.testsupport.MosquittoBroker;
import io.edgegw.testsupport.TestPki;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gwctl data} through a real TLS Mosquitto (mTLS) standing in for the cloud broker, against
 * a scripted gateway that answers {@code buffer.export} with the parts each test chooses: a good
 * transfer is written whole (file or stdout), and a gap, a repeated part, a wrong checksum, a
 * refusal or silence each end with their exit code, their message, and nothing written.
 */
class DataCommandIT {
  private static final PayloadCodec CODEC = new PayloadCodec();
  private static final List<String> PARTS = List.of("a,b\r\n1,2\r\n", "3,4\r\n", "5,\"x,y\"\r\n");

  private static TestPki pki;
  private static MosquittoBroker cloud;
  private static Mqtt5AsyncClient gateway;
  private static List<String> brokerArgs;
  static final List<Command> RECEIVED = new CopyOnWriteArrayList<>();
  static volatile List<CommandResult> script = List.of();

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
    TestPki.Issued cert = pki.client("gw-d");
    gateway =
        MqttClient.builder()
            .useMqttVersion5()
            .identifier("sim-gw-d")
            .serverHost("127.0.0.1")
            .serverPort(cloud.port())
            .sslConfig(
                MqttClientSslConfig.builder()
                    .trustManagerFactory(ClientTls.trust(pki.ca().certFile()))
                    .keyManagerFactory(ClientTls.keys(cert.certFile(), cert.keyFile()))
                    .build())
            .buildAsync();
    gateway.connect().get(10, TimeUnit.SECONDS);
    gateway
        .subscribeWith()
        .topicFilter("edgegw/gw-d/cmd/#")
        .qos(MqttQos.AT_LEAST_ONCE)
        .callback(p -> answer(p.getPayloadAsBytes()))
        .send()
        .get(10, TimeUnit.SECONDS);
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
    gateway.disconnect().get(10, TimeUnit.SECONDS);
    cloud.close();
    pki.close();
  }

  /** Replies with the script, each reply given the command's id. */
  private static void answer(byte[] payload) {
    Command c;
    try {
      c = CODEC.decode(payload, Command.class);
    } catch (Exception e) {
      throw new IllegalStateException("gwctl sent a payload that is not a Command", e);
    }
    RECEIVED.add(c);
    for (CommandResult r : script) {
      CommandResult withId =
          new CommandResult(r.v(), c.id(), r.ok(), r.reason(), r.t(), r.result());
      gateway
          .publishWith()
          .topic("edgegw/gw-d/reply/" + c.id())
          .qos(MqttQos.AT_LEAST_ONCE)
          .payload(CODEC.encode(withId))
          .send();
    }
  }

  static CommandResult part(int n, String data, long rows) {
    return CommandResult.ok(
        "x",
        System.currentTimeMillis(),
        Map.of("final", false, "part", n, "rows", rows, "data", data));
  }

  static CommandResult done(int parts, long rows, String sha256) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("final", true);
    r.put("parts", parts);
    r.put("rows", rows);
    r.put("sha256", sha256);
    r.put("from", "2026-10-26T12:00:00Z");
    r.put("to", "2026-11-25T12:00:00Z");
    r.put("series", 2);
    return CommandResult.ok("x", System.currentTimeMillis(), r);
  }

  static String sha256(String s) throws Exception {
    return HexFormat.of()
        .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
  }

  static List<CommandResult> good() throws Exception {
    return List.of(
        part(1, PARTS.get(0), 1),
        part(2, PARTS.get(1), 1),
        part(3, PARTS.get(2), 1),
        done(3, 3, sha256(String.join("", PARTS))));
  }

  static Run gwctl(String... args) {
    List<String> all = new ArrayList<>(List.of("data", "--gateway", "gw-d"));
    all.addAll(List.of(args));
    all.addAll(brokerArgs);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cli = Gwctl.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exit = cli.execute(all.toArray(String[]::new));
    return new Run(exit, out.toString(), err.toString());
  }

  List<Path> files() throws Exception {
    try (Stream<Path> s = Files.list(tmp)) {
      return s.toList();
    }
  }

  @Test
  void theCommandCarriesTheArgumentsAndTheCheckedPartsAreWrittenToTheFile() throws Exception {
    script = good();
    RECEIVED.clear();
    Path file = tmp.resolve("export.csv");
    Run run =
        gwctl(
            "--series",
            "3,plc/temp",
            "--from",
            "P7D",
            "--chunk-rows",
            "10",
            "--output",
            file.toString());

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(Files.readString(file)).isEqualTo(String.join("", PARTS));
    assertThat(files()).containsExactly(file);
    assertThat(run.out()).isEmpty();
    assertThat(run.err())
        .contains("gwctl data: part 1, 1 rows so far")
        .contains(
            "gwctl data: 3 rows in 3 parts from gw-d (2026-10-26T12:00:00Z .. 2026-11-25T12:00:00Z, 2 series)")
        .contains("written to " + file);
    Command sent = RECEIVED.getFirst();
    assertThat(sent.target()).isEqualTo("buffer");
    assertThat(sent.verb()).isEqualTo("export");
    assertThat(sent.args())
        .isEqualTo(
            Map.of(
                "series",
                List.of("3", "plc/temp"),
                "from",
                "P7D",
                "format",
                "csv",
                "chunkRows",
                10));
  }

  @Test
  void withoutOutputTheDataGoesToStdout() throws Exception {
    script = good();
    Run run = gwctl("--format", "json");
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out()).isEqualTo(String.join("", PARTS));
  }

  @Test
  void aMissingPartFailsAndLeavesAnExistingFileAlone() throws Exception {
    List<CommandResult> parts = new ArrayList<>(good());
    parts.remove(1);
    script = parts;
    Path file = tmp.resolve("export.csv");
    Files.writeString(file, "old");
    Run run = gwctl("--output", file.toString());

    assertThat(run.exit()).isEqualTo(Gwctl.FAILED);
    assertThat(run.err())
        .contains("gwctl: part 2 is missing (got part 3 after part 1); nothing written");
    assertThat(Files.readString(file)).isEqualTo("old");
    assertThat(files()).containsExactly(file);
  }

  @Test
  void aRepeatedPartFails() throws Exception {
    List<CommandResult> parts = new ArrayList<>(good());
    parts.add(1, parts.get(0));
    script = parts;
    Run run = gwctl("--output", tmp.resolve("e.csv").toString());
    assertThat(run.exit()).isEqualTo(Gwctl.FAILED);
    assertThat(run.err()).contains("gwctl: part 1 arrived twice");
    assertThat(files()).isEmpty();
  }

  @Test
  void aWrongChecksumOrRowCountFails() throws Exception {
    List<CommandResult> parts = new ArrayList<>(good());
    parts.set(3, done(3, 3, sha256("something else")));
    script = parts;
    Run run = gwctl("--output", tmp.resolve("e.csv").toString());
    assertThat(run.exit()).isEqualTo(Gwctl.FAILED);
    assertThat(run.err()).contains("the data's SHA-256 is " + sha256(String.join("", PARTS)));
    assertThat(files()).isEmpty();

    parts.set(3, done(3, 4, sha256(String.join("", PARTS))));
    run = gwctl();
    assertThat(run.exit()).isEqualTo(Gwctl.FAILED);
    assertThat(run.err()).contains("the gateway sent 4 rows, the parts hold 3");
    assertThat(run.out()).isEmpty();
  }

  @Test
  void aRefusalOrSilenceEndsWithTheFleetExitCodeAndTheReason() throws Exception {
    script =
        List.of(CommandResult.failed("x", System.currentTimeMillis(), "no series with id 999"));
    Run run = gwctl("--series", "999", "--output", tmp.resolve("e.csv").toString());
    assertThat(run.exit()).isEqualTo(Gwctl.FLEET_FAILED);
    assertThat(run.err())
        .isEqualTo(
            "gwctl data: export {series=[999], from=P30D, format=csv} requested from gw-d\n"
                + "gwctl: gw-d refused or failed the export: no series with id 999; nothing"
                + " written\n");
    assertThat(files()).isEmpty();

    script = List.of(part(1, PARTS.get(0), 1));
    run = gwctl("--timeout", "PT1S");
    assertThat(run.exit()).isEqualTo(Gwctl.FLEET_FAILED);
    assertThat(run.err())
        .contains("gwctl: gw-d: no reply within 1 s after part 1; nothing written");
    assertThat(run.out()).isEmpty();
  }

  @Test
  void aBadFormatIsAUsageError() {
    Run run = gwctl("--format", "xml");
    assertThat(run.exit()).isEqualTo(Gwctl.USAGE);
    assertThat(run.err()).contains("--format must be csv or json, got 'xml'");
  }
}
