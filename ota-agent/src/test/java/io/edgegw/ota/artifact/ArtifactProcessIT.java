package io.edgegw.ota.artifact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.edgegw.bundle.BundleSigner;
import io.edgegw.bundle.Keys;
import io.edgegw.bundle.RegistryClient;
import io.edgegw.bundle.SignedArtifact;
import io.edgegw.contracts.Command;
import io.edgegw.contracts.CommandResult;
import io.edgegw.contracts.PayloadCodec;
import io.edgegw.contracts.Status;
import io.edgegw.contracts.Topics;
import io.edgegw.gwctl.Gwctl;
import io.edgegw.ota.podman.TlsRegistry;
import io.edgegw.testsupport.BusObserver;
import io.edgegw.testsupport.FreePorts;
import io.edgegw.testsupport.MosquittoBroker;
import io.edgegw.testsupport.ServiceProcess;
import io.edgegw.testsupport.TestPki;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The packaged ota-agent with a real TLS docker-registry and a real Mosquitto: a firmware signed
 * and pushed with {@code gwctl artifact push} is brought in by the {@code artifact} command,
 * downloaded over HTTP from the OT listen address (127.0.0.2 here, the "OT interface"), with
 * per-device status (complete, aborted, pending) on the bus, in the gateway health and as metrics;
 * the listener does not answer on another address; tampered, wrongly signed and unsigned artifacts
 * change nothing; a wildcard listen address stops the agent at start. The scenarios build on each
 * other, so they run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ArtifactProcessIT {
  private static final PayloadCodec CODEC = new PayloadCodec();
  private static final String REPO = "edgegw/firmware";
  private static final String OT = "127.0.0.2";

  /** plc-2 is identified by its source address alone (no ?device=). */
  private static final String PLC2_ADDRESS = "127.0.0.4";

  private static final int SIZE = 8 * 1024 * 1024;
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir static Path work;
  static TestPki pki;
  static TlsRegistry registry;
  static RegistryClient registryClient;
  static MosquittoBroker broker;
  static BusObserver bus;
  static ServiceProcess agent;
  static BundleSigner signer;
  static BundleSigner stranger;
  static int otPort;
  static byte[] firmware;
  static SignedArtifact v1;
  static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void setUp() throws Exception {
    pki = TestPki.create();
    registry = new TlsRegistry(pki, Files.createDirectories(work.resolve("registry")));
    registryClient =
        new RegistryClient(
            URI.create(registry.url()),
            HttpClient.newBuilder().sslContext(registry.ssl()).build(),
            Duration.ofSeconds(30));
    signer = new BundleSigner(Keys.generate(work.resolve("keys"), "release"));
    stranger = new BundleSigner(Keys.generate());
    firmware = new byte[SIZE];
    new Random(42).nextBytes(firmware);
    v1 = signer.sign(SignedArtifact.of("plc-fw.bin", "application/octet-stream", firmware));
    otPort = FreePorts.loopback();

    broker = MosquittoBroker.builder().withUser("ota").withUser("test").start();
    bus =
        new BusObserver(
            broker.port(), "test", broker.password("test"), "test-artifacts", "gw/v1/#");
    agent = agent("127.0.0.2:" + otPort).start();
    agent.awaitReady();
  }

  private static ServiceProcess.Builder agent(String listen) {
    return ServiceProcess.builder(
            "ota-agent",
            Path.of(System.getProperty("ota.app.jar", "target/quarkus-app/quarkus-run.jar")))
        .heap("192m")
        .property("ota.state-dir", work.resolve("state").toString())
        .property("ota.registry.url", registry.url())
        .property("ota.registry.ca-file", registry.caFile().toString())
        .property("ota.registry.retry-initial", "200ms")
        .property("ota.registry.retry-max", "1s")
        .property("ota.trust.keys", work.resolve("keys/release.pub").toString())
        .property("ota.stack.containers-conf", work.resolve("no-containers.conf").toString())
        .property("ota.health.interval", "1s")
        .property("ota.bus.port", String.valueOf(broker.port()))
        .property("ota.web.token-file", work.resolve("no-token").toString())
        .property("ota.artifacts.listen", listen)
        .property("ota.artifacts.devices.plc-1", "any")
        .property("ota.artifacts.devices.plc-2", PLC2_ADDRESS)
        .property("ota.artifacts.devices.plc-3", "any")
        .secret("OTA_BUS_PASSWORD", broker.password("ota"))
        .clearEnvironmentPrefix("OTA_");
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (agent != null) {
      agent.close();
    }
    if (bus != null) {
      bus.close();
    }
    if (broker != null) {
      broker.close();
    }
    if (registry != null) {
      registry.close();
    }
    if (pki != null) {
      pki.close();
    }
  }

  // ---------------------------------------------------------------- scenarios

  @Test
  @Order(1)
  void aSignedArtifactIsStoredAndServedOnTheOtAddress() throws Exception {
    // pushed with the operator's tool, as in production
    Path file = Files.write(work.resolve("firmware-image"), firmware);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine gwctl = Gwctl.commandLine();
    gwctl.setOut(new PrintWriter(out, true));
    gwctl.setErr(new PrintWriter(err, true));
    int exit =
        gwctl.execute(
            "artifact",
            "push",
            "--file",
            file.toString(),
            "--name",
            "plc-fw.bin",
            "--key",
            work.resolve("keys/release.key").toString(),
            "--registry",
            registry.url(),
            "--registry-ca",
            registry.caFile().toString(),
            "--repo",
            REPO,
            "--tag",
            "1.0");
    assertThat(exit).as(err.toString()).isZero();
    assertThat(out.toString()).contains("pushed artifact plc-fw.bin " + v1.digest());
    CommandResult r = artifact("1.0", List.of("plc-1", "plc-2", "plc-3"));
    assertThat(r.ok()).as(r.reason()).isTrue();
    assertThat(r.result())
        .containsEntry("name", "plc-fw.bin")
        .containsEntry("digest", v1.digest())
        .containsEntry("size", SIZE)
        .containsEntry("devices", List.of("plc-1", "plc-2", "plc-3"));
    assertThat(work.resolve("state/artifacts/plc-fw.bin/" + hex(v1.digest())))
        .hasBinaryContent(firmware);

    HttpResponse<byte[]> got = get("/artifacts/plc-fw.bin?device=plc-1", Map.of());
    assertThat(got.statusCode()).isEqualTo(200);
    assertThat(got.body()).isEqualTo(firmware);
    assertThat(got.headers().firstValue("Content-Length")).contains(String.valueOf(SIZE));
    assertThat(got.headers().firstValue("ETag")).contains("\"" + v1.digest() + "\"");
    assertThat(got.headers().firstValue("X-Artifact-Digest")).contains(v1.digest());
    assertThat(got.headers().firstValue("X-Content-SHA256")).contains(sha256(got.body()));
    assertThat(got.headers().firstValue("Content-Type")).contains("application/octet-stream");

    // HEAD, a kept version by digest, a range, a conditional request
    HttpResponse<Void> head =
        http.send(
            HttpRequest.newBuilder(URI.create(base() + "/artifacts/plc-fw.bin?device=plc-3"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.discarding());
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.headers().firstValue("Content-Length")).contains(String.valueOf(SIZE));
    assertThat(head.headers().firstValue("X-Artifact-Digest")).contains(v1.digest());
    assertThat(get("/artifacts/plc-fw.bin/" + v1.digest() + "?device=plc-3", Map.of()).body())
        .isEqualTo(firmware);
    HttpResponse<byte[]> range =
        get("/artifacts/plc-fw.bin?device=plc-3", Map.of("Range", "bytes=100-199"));
    assertThat(range.statusCode()).isEqualTo(206);
    assertThat(range.body()).isEqualTo(java.util.Arrays.copyOfRange(firmware, 100, 200));
    assertThat(range.headers().firstValue("Content-Range")).contains("bytes 100-199/" + SIZE);
    assertThat(
            get(
                    "/artifacts/plc-fw.bin?device=plc-3",
                    Map.of("If-None-Match", "\"" + v1.digest() + "\""))
                .statusCode())
        .isEqualTo(304);

    Map<String, Map<String, Object>> downloads =
        awaitDownloads(
            d -> state(d, "plc-1").equals("COMPLETE") && state(d, "plc-3").equals("PARTIAL"));
    assertThat(entry(downloads, "plc-1"))
        .containsEntry("digest", v1.digest())
        .containsEntry("bytes", SIZE)
        .containsEntry("length", SIZE);
    assertThat(state(downloads, "plc-2")).isEqualTo("PENDING");
    assertThat(state(downloads, "plc-3")).isEqualTo("PARTIAL");
  }

  @Test
  @Order(2)
  void aDeviceThatGoesAwayMidDownloadIsAborted() throws Exception {
    try (Socket s = new Socket()) {
      // A small receive window: the gateway can only get a few MB ahead of what the device read.
      s.setReceiveBufferSize(4096);
      s.bind(new InetSocketAddress(InetAddress.getByName(PLC2_ADDRESS), 0));
      s.connect(new InetSocketAddress(OT, otPort), 5000);
      s.setSoTimeout(10_000);
      s.getOutputStream()
          .write(
              ("GET /artifacts/plc-fw.bin HTTP/1.1\r\nHost: " + OT + "\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      InputStream in = s.getInputStream();
      String head = readHead(in);
      assertThat(head).startsWith("HTTP/1.1 200").contains(String.valueOf(SIZE));
      in.readNBytes(64 * 1024);
      s.setSoLinger(true, 0); // reset: the device vanished
    }
    Map<String, Map<String, Object>> downloads =
        awaitDownloads(d -> state(d, "plc-2").equals("ABORTED"));
    Map<String, Object> plc2 = entry(downloads, "plc-2");
    assertThat(((Number) plc2.get("bytes")).longValue()).isBetween(64L * 1024, SIZE - 1L);
    assertThat(String.valueOf(plc2.get("error"))).contains("connection lost");
    assertThat(state(downloads, "plc-1")).isEqualTo("COMPLETE");

    // the compact section of the gateway health (published each second), and the metrics
    await()
        .atMost(WAIT)
        .ignoreExceptions()
        .untilAsserted(() -> {
          Status health = latest(Topics.status("gateway"));
          @SuppressWarnings("unchecked")
          Map<String, Object> section = (Map<String, Object>) health.detail().get("artifacts");
          assertThat(section).containsEntry("listen", OT + ":" + otPort);
          @SuppressWarnings("unchecked")
          Map<String, Object> fw =
              (Map<String, Object>) ((Map<String, Object>) section.get("served")).get("plc-fw.bin");
          assertThat(fw.get("devices"))
              .isEqualTo(Map.of("COMPLETE", 1, "ABORTED", 1, "PARTIAL", 1));
          @SuppressWarnings("unchecked")
          Map<String, Object> services = (Map<String, Object>) health.detail().get("services");
          assertThat(services).doesNotContainKey("artifacts");
        });
    assertThat(agent.metric("ota_artifact_downloads_total", Map.of("state", "ABORTED")))
        .isEqualTo(1.0);
    assertThat(agent.metric("ota_artifact_downloads_total", Map.of("state", "COMPLETE")))
        .isEqualTo(2.0);
  }

  @Test
  @Order(3)
  void theServerAnswersOnTheOtAddressOnlyAndToKnownDevicesOnly() throws Exception {
    assertThatThrownBy(() -> new Socket("127.0.0.1", otPort).close())
        .as("nothing listens on 127.0.0.1:" + otPort)
        .isInstanceOf(ConnectException.class);
    // plc-2 is tied to its address; from another one it is refused
    HttpResponse<byte[]> spoofed = get("/artifacts/plc-fw.bin?device=plc-2", Map.of());
    assertThat(spoofed.statusCode()).isEqualTo(403);
    assertThat(new String(spoofed.body(), StandardCharsets.UTF_8)).contains("127.0.0.4 only");
    assertThat(get("/artifacts/plc-fw.bin?device=intruder", Map.of()).statusCode()).isEqualTo(403);
    assertThat(get("/artifacts/plc-fw.bin", Map.of()).statusCode())
        .as("no device named")
        .isEqualTo(403);
    assertThat(get("/artifacts/..%2F..%2Fkeys?device=plc-1", Map.of()).statusCode()).isEqualTo(404);
    assertThat(get("/artifacts/nosuch.bin?device=plc-1", Map.of()).statusCode()).isEqualTo(404);
    HttpResponse<String> post =
        http.send(
            HttpRequest.newBuilder(URI.create(base() + "/artifacts/plc-fw.bin?device=plc-1"))
                .POST(HttpRequest.BodyPublishers.ofString("x"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(post.statusCode()).isEqualTo(405);
  }

  @Test
  @Order(4)
  void tamperedWronglySignedAndUnsignedArtifactsChangeNothing() throws Exception {
    byte[] evil = firmware.clone();
    evil[1000] ^= 1;
    registryClient.pushArtifact(
        REPO,
        "2.0-tampered",
        new SignedArtifact("plc-fw.bin", "application/octet-stream", evil, v1.signature()));
    registryClient.pushArtifact(
        REPO,
        "2.0-stranger",
        stranger.sign(SignedArtifact.of("plc-fw.bin", "application/octet-stream", evil)));
    registryClient.pushArtifact(
        REPO, "2.0-unsigned", SignedArtifact.of("plc-fw.bin", "application/octet-stream", evil));

    assertRejected("2.0-tampered", "TAMPERED");
    assertRejected("2.0-stranger", "UNTRUSTED_KEY");
    assertRejected("2.0-unsigned", "UNSIGNED");
    assertRejected("9.9-missing", "DOWNLOAD_FAILED");
    CommandResult unknownDevice = artifact("1.0", List.of("plc-9"));
    assertThat(unknownDevice.ok()).isFalse();
    assertThat(unknownDevice.reason()).contains("unknown device(s) [plc-9]");

    try (Stream<Path> files = Files.list(work.resolve("state/artifacts/plc-fw.bin"))) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("current", hex(v1.digest()), hex(v1.digest()) + ".json");
    }
    HttpResponse<byte[]> still = get("/artifacts/plc-fw.bin?device=plc-1", Map.of());
    assertThat(still.headers().firstValue("X-Artifact-Digest")).contains(v1.digest());
    assertThat(still.body()).isEqualTo(firmware);
    assertThat(agent.metric("ota_artifact_intakes_total", Map.of("result", "TAMPERED")))
        .isEqualTo(1.0);
  }

  @Test
  @Order(5)
  void anUnreachableRegistryIsRetriedThenTheNewVersionIsServedAndTheOldOneKept() throws Exception {
    byte[] two = firmware.clone();
    two[0] ^= 1;
    SignedArtifact v2 =
        signer.sign(SignedArtifact.of("plc-fw.bin", "application/octet-stream", two));
    registryClient.pushArtifact(REPO, "2.0", v2);
    registry.stop();
    String id = send("2.0", List.of("plc-1"));
    try {
      await()
          .atMost(WAIT)
          .until(() ->
              replies(id).stream()
                      .filter(r -> "waiting-for-registry".equals(r.result().get("step")))
                      .count()
                  >= 2);
      assertThat(finalReply(id)).as("no result while the registry is down").isEmpty();
      assertThat(get("/artifacts/plc-fw.bin?device=plc-1", Map.of()).headers().firstValue("ETag"))
          .contains("\"" + v1.digest() + "\"");
    } finally {
      registry.start();
    }
    CommandResult r =
        await().atMost(WAIT).until(() -> finalReply(id), Optional::isPresent).orElseThrow();
    assertThat(r.ok()).as(r.reason()).isTrue();
    assertThat(r.result()).containsEntry("digest", v2.digest());
    assertThat(get("/artifacts/plc-fw.bin?device=plc-1", Map.of()).body()).isEqualTo(two);
    // plc-1 has v2 now (v2 targets plc-1 only)
    Map<String, Map<String, Object>> downloads =
        awaitDownloads(d ->
            v2.digest().equals(entry(d, "plc-1").get("digest"))
                && "COMPLETE".equals(entry(d, "plc-1").get("state")));
    assertThat(entry(downloads, "plc-1")).containsEntry("bytes", SIZE);
    assertThat(get("/artifacts/plc-fw.bin/" + v1.digest() + "?device=plc-3", Map.of()).body())
        .as("the previous version stays downloadable by digest")
        .isEqualTo(firmware);
  }

  @Test
  @Order(6)
  void aWildcardListenAddressStopsTheAgentWithAClearError() throws Exception {
    agent.stop();
    try (ServiceProcess wildcard = agent("0.0.0.0:" + otPort).start()) {
      assertThat(wildcard.awaitExit(WAIT)).isNotZero();
      assertThat(wildcard.log()).contains("ota.artifacts.listen").contains("wildcard");
    }
  }

  // ---------------------------------------------------------------- helpers

  private static void assertRejected(String tag, String code) throws Exception {
    CommandResult r = artifact(tag, List.of());
    assertThat(r.ok()).as("artifact " + tag).isFalse();
    assertThat(r.result()).as(r.reason()).containsEntry("code", code);
    assertThat(r.reason()).contains("nothing stored");
  }

  private static CommandResult artifact(String reference, List<String> devices) throws Exception {
    String id = send(reference, devices);
    return await().atMost(WAIT).until(() -> finalReply(id), Optional::isPresent).orElseThrow();
  }

  private static List<CommandResult> replies(String id) {
    return bus.on(Topics.reply(id)).stream().map(m -> m.as(CommandResult.class)).toList();
  }

  private static Optional<CommandResult> finalReply(String id) {
    return replies(id).stream()
        .filter(m -> !Boolean.FALSE.equals(m.result().get("final")))
        .findFirst();
  }

  private static String send(String reference, List<String> devices) throws Exception {
    String id = "artifact-" + UUID.randomUUID();
    Command c =
        Command.of(
            id,
            "ota",
            "artifact",
            Map.of("repository", REPO, "reference", reference, "devices", devices),
            System.currentTimeMillis() + 120_000);
    bus.publish(Topics.command("ota", "artifact"), CODEC.encode(c));
    return id;
  }

  private static String base() {
    return "http://" + OT + ":" + otPort;
  }

  private static HttpResponse<byte[]> get(String path, Map<String, String> headers)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path)).timeout(WAIT);
    headers.forEach(b::header);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static Status latest(String topic) {
    List<BusObserver.Received> all = bus.on(topic);
    assertThat(all).as(topic).isNotEmpty();
    return all.getLast().as(Status.class);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Map<String, Object>> downloadsNow() {
    Object d = latest(Topics.status("artifacts")).detail().get("downloads");
    return d == null ? Map.of() : (Map<String, Map<String, Object>>) (Map<String, ?>) d;
  }

  private static Map<String, Map<String, Object>> awaitDownloads(
      java.util.function.Predicate<Map<String, Map<String, Object>>> condition) {
    return await()
        .atMost(WAIT)
        .ignoreExceptions()
        .until(ArtifactProcessIT::downloadsNow, condition);
  }

  /** A device's download entry of the firmware, or an empty map. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> entry(
      Map<String, Map<String, Object>> downloads, String device) {
    Map<String, Object> byName = downloads.get(device);
    Object e = byName == null ? null : byName.get("plc-fw.bin");
    return e == null ? Map.of() : (Map<String, Object>) e;
  }

  private static String state(Map<String, Map<String, Object>> downloads, String device) {
    return String.valueOf(entry(downloads, device).getOrDefault("state", "NONE"));
  }

  private static String readHead(InputStream in) throws Exception {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      head.write(b);
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return head.toString(StandardCharsets.US_ASCII);
  }

  private static String hex(String digest) {
    return digest.substring("sha256:".length());
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
