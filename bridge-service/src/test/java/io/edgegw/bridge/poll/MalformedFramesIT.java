package io.edgegw.bridge.poll;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgegw.bridge.DataType;
import io.edgegw.bridge.DeviceSpec;
import io.edgegw.bridge.DevicesConfig;
import io.edgegw.bridge.Endpoint;
import io.edgegw.bridge.PollGroup;
import io.edgegw.bridge.Specs;
import io.edgegw.bridge.Table;
import io.edgegw.bridge.modbus.ModbusConnector;
import io.edgegw.bridge.modbus.ModbusFault;
import io.edgegw.contracts.Quality;
import io.edgegw.contracts.Sample;
import io.edgegw.testsupport.modbus.MalformedModbusPeer;
import io.edgegw.testsupport.modbus.MalformedReply;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The bridge's real poll loop ({@link DevicePoller} over the j2mod channel of {@link
 * ModbusConnector}) against a {@link MalformedModbusPeer} over real TCP, one poller for the whole
 * corpus {@code src/test/resources/corpus/modbus/*.hex}. For each malformed answer: the tags get
 * the bad quality the file expects and never a GOOD value, the error counter of the device rises
 * and the fault says why, the poller keeps polling (the peer keeps receiving requests), and once
 * the peer answers correctly again the poller reads the true value. Adding a file adds a case.
 */
class MalformedFramesIT {
  private static final String CORPUS = "corpus/modbus";
  private static final Duration TIMEOUT = Duration.ofMillis(300);
  private static final Duration CASE_LIMIT = Duration.ofSeconds(10);

  private static MalformedModbusPeer peer;
  private static DevicePoller poller;
  private static Thread thread;
  private static final List<Sample> samples = new CopyOnWriteArrayList<>();
  private static final Map<ModbusFault.Kind, AtomicLong> errors = new ConcurrentHashMap<>();
  private static final List<String> warnings = new CopyOnWriteArrayList<>();
  private static final Logger POLLER_LOG = Logger.getLogger(DevicePoller.class.getName());
  private static final Handler CAPTURE =
      new Handler() {
        @Override
        public void publish(LogRecord r) {
          String text = r.getMessage();
          if (r.getParameters() != null && text != null && text.contains("%")) {
            text = String.format(text, r.getParameters());
          }
          warnings.add(text);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };

  @BeforeAll
  static void start() {
    POLLER_LOG.addHandler(CAPTURE);
    peer = MalformedModbusPeer.start();
    DeviceSpec device =
        new DeviceSpec(
            "peer",
            new Endpoint.Tcp("127.0.0.1", peer.port()),
            1,
            TIMEOUT,
            125,
            2000,
            8,
            List.of(
                Specs.tag("a", Table.HOLDING, 0, DataType.UINT16),
                Specs.tag("b", Table.HOLDING, 1, DataType.UINT16)));
    PollMetrics metrics =
        new PollMetrics() {
          @Override
          public void polled(String d, long durationNanos, long lateNanos) {}

          @Override
          public void request(String d) {}

          @Override
          public void error(String d, ModbusFault.Kind kind) {
            errors.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
          }

          @Override
          public void overrun(String d) {}
        };
    InstantSource clock = InstantSource.system();
    poller =
        new DevicePoller(
            device,
            Map.of("fast", new PollGroup("fast", Duration.ofMillis(100))),
            new ModbusConnector(new DevicesConfig(Map.of(), Map.of(), List.of(device)))
                .open(device),
            clock,
            Pacer.parking(clock),
            new Backoff(Duration.ofMillis(50), Duration.ofMillis(200), 0, new Random(1)),
            batch -> samples.addAll(batch.samples()),
            metrics);
    thread = Thread.ofVirtual().name("poller-under-test").start(poller);
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (thread != null) {
      thread.interrupt();
      thread.join(Duration.ofSeconds(5));
    }
    if (peer != null) {
      peer.close();
    }
    POLLER_LOG.removeHandler(CAPTURE);
  }

  @TestFactory
  Stream<DynamicTest> eachMalformedAnswerIsABadQualityAndThePollerRecovers() throws Exception {
    List<Path> files;
    try (Stream<Path> list = Files.list(corpus())) {
      files = list.filter(p -> p.toString().endsWith(".hex")).sorted().toList();
    }
    assertThat(files).as("frames in %s", CORPUS).hasSizeGreaterThanOrEqualTo(10);
    return files.stream()
        .map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> check(f)));
  }

  private static void check(Path file) throws Exception {
    MalformedReply reply =
        MalformedReply.parse(
            file.getFileName().toString(), Files.readString(file, StandardCharsets.UTF_8));
    Quality expected = Quality.valueOf(reply.header("expect", "?"));
    String reason = reply.header("reason", "");

    // The true value first, so that the case starts from a healthy, polling device.
    peer.answerCorrectly();
    awaitGood("before " + reply);

    int mark = samples.size();
    long errorsBefore = totalErrors();
    int warningsBefore = warnings.size();
    peer.answerWith(reply);
    await("bad quality " + expected + " for " + reply)
        .atMost(CASE_LIMIT)
        .until(() -> since(mark).stream().anyMatch(s -> s.tag().equals("a") && s.q() == expected));
    assertThat(totalErrors()).as("errors counted for %s", reply).isGreaterThan(errorsBefore);
    ModbusFault fault = poller.lastFault();
    assertThat(fault).isNotNull();
    assertThat(fault.kind().quality())
        .as("fault of %s: %s", reply, fault.getMessage())
        .isEqualTo(expected);
    assertThat(fault.getMessage()).as("reason of %s", reply).startsWith("peer: ").contains(reason);
    assertThat(reason).as("the reason header of %s", reply).isNotBlank();
    if (expected == Quality.COMM_FAILURE) {
      assertThat(warnings.subList(warningsBefore, warnings.size()))
          .as("log of %s", reply)
          .anyMatch(w -> w.startsWith("peer unreachable (peer: "));
    }
    // Still polling: the peer keeps being asked (a hung poller would stop here).
    int requests = peer.requests();
    await("polling goes on during " + reply)
        .atMost(CASE_LIMIT)
        .until(() -> peer.requests() >= requests + 2);
    // A poll in flight when the answers turned bad may still read the true value; after the first
    // bad sample every answer is malformed, so nothing may be GOOD.
    List<Sample> bad = since(mark);
    int first = 0;
    while (!(bad.get(first).tag().equals("a") && bad.get(first).q() == expected)) {
      first++;
    }
    assertThat(bad.subList(first, bad.size()))
        .as("no GOOD value while the peer answers %s", reply)
        .noneMatch(s -> s.q() == Quality.GOOD);
    assertThat(bad)
        .as("no GOOD value but the true one while the peer answers %s", reply)
        .filteredOn(s -> s.q() == Quality.GOOD)
        .allMatch(s -> s.v().equals((long) MalformedModbusPeer.GOOD_VALUE));

    peer.answerCorrectly();
    awaitGood("recovery from " + reply);
    assertThat(thread.isAlive()).isTrue();
  }

  /** Waits for GOOD samples of both tags, after now, with the peer's value. */
  private static void awaitGood(String what) {
    int mark = samples.size();
    await(what)
        .atMost(CASE_LIMIT)
        .until(() -> {
          List<Sample> fresh = since(mark);
          return fresh.stream().anyMatch(s -> s.tag().equals("a") && s.q() == Quality.GOOD)
              && fresh.stream().anyMatch(s -> s.tag().equals("b") && s.q() == Quality.GOOD);
        });
    assertThat(since(mark))
        .as("every GOOD sample carries the peer's true value")
        .filteredOn(s -> s.q() == Quality.GOOD)
        .allMatch(s -> s.v().equals((long) MalformedModbusPeer.GOOD_VALUE));
  }

  private static List<Sample> since(int mark) {
    return List.copyOf(samples.subList(mark, samples.size()));
  }

  private static long totalErrors() {
    return errors.values().stream().mapToLong(AtomicLong::get).sum();
  }

  private static Path corpus() throws URISyntaxException {
    return Path.of(MalformedFramesIT.class.getClassLoader().getResource(CORPUS).toURI());
  }
}
