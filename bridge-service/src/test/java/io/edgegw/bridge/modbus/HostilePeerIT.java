package io.edgegw.bridge.modbus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgegw.bridge.DataType;
import io.edgegw.bridge.DeviceSpec;
import io.edgegw.bridge.DevicesConfig;
import io.edgegw.bridge.Endpoint;
import io.edgegw.bridge.Specs;
import io.edgegw.bridge.Table;
import io.edgegw.bridge.TagSpec;
import io.edgegw.testsupport.HostileModbusPeer;
import io.edgegw.testsupport.HostileModbusPeer.Mischief;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The bridge's Modbus channel against a peer that answers with malformed frames over a real TCP
 * socket: each answer becomes a classified fault within the timeout, never a value, and the next
 * correct answer is read correctly (the channel recovers).
 */
class HostilePeerIT {
  private static HostileModbusPeer peer;
  private static ModbusChannel channel;
  private static ReadRequest request;

  @BeforeAll
  static void start() {
    peer = HostileModbusPeer.start();
    List<TagSpec> tags =
        List.of(
            Specs.tag("a", Table.HOLDING, 0, DataType.UINT16),
            Specs.tag("b", Table.HOLDING, 3, DataType.UINT16));
    DeviceSpec device =
        new DeviceSpec(
            "hostile",
            new Endpoint.Tcp("127.0.0.1", peer.port()),
            1,
            Duration.ofMillis(500),
            125,
            2000,
            8,
            tags);
    channel =
        new ModbusConnector(new DevicesConfig(Map.of(), Map.of(), List.of(device))).open(device);
    request = ReadPlanner.plan(tags, 125, 2000, 8).getFirst();
  }

  @AfterAll
  static void stop() {
    channel.close();
    peer.close();
  }

  private static short[] readWithin(Duration limit) throws Exception {
    CompletableFuture<short[]> read =
        CompletableFuture.supplyAsync(() -> {
          try {
            return channel.readRegisters(request);
          } catch (ModbusFault f) {
            throw new java.util.concurrent.CompletionException(f);
          }
        });
    try {
      return read.get(limit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw (Exception) e.getCause();
    }
  }

  @ParameterizedTest
  @EnumSource(value = Mischief.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
  void aMalformedAnswerIsAFaultAndTheChannelRecovers(Mischief mischief) throws Exception {
    peer.setMischief(mischief);
    // A hang would show as a TimeoutException from readWithin, well past the 500 ms timeout.
    assertThatThrownBy(() -> readWithin(Duration.ofSeconds(5)))
        .as("%s must not yield values", mischief)
        .isInstanceOf(ModbusFault.class)
        .satisfies(e -> {
          ModbusFault f = (ModbusFault) e;
          if (mischief == Mischief.EXCEPTION) {
            assertThat(f.kind()).isEqualTo(ModbusFault.Kind.EXCEPTION_RESPONSE);
            assertThat(f.exceptionCode()).isEqualTo(4);
          } else {
            assertThat(f.kind().isCommFailure()).as(f.kind() + ": " + f.getMessage()).isTrue();
          }
        });
    peer.setMischief(Mischief.NONE);
    short[] words = readWithin(Duration.ofSeconds(5));
    assertThat(words).hasSize(4).containsOnly(HostileModbusPeer.VALUE);
  }
}
