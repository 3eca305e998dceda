package io.edgegw.bridge.poll;

import static io.edgegw.bridge.Specs.device;
import static io.edgegw.bridge.Specs.tag;
import static org.assertj.core.api.Assertions.assertThat;

import io.edgegw.bridge.DataType;
import io.edgegw.bridge.DeviceSpec;
import io.edgegw.bridge.PollGroup;
import io.edgegw.bridge.Table;
import io.edgegw.bridge.modbus.ModbusChannel;
import io.edgegw.bridge.modbus.ModbusFault;
import io.edgegw.bridge.modbus.ReadRequest;
import io.edgegw.contracts.Quality;
import io.edgegw.contracts.Sample;
import io.edgegw.contracts.SampleBatch;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The poll loop against an in-memory channel and a fake clock: time only moves when the pacer is
 * asked to wait, so hours of polling run in milliseconds.
 */
class DevicePollerTest {

  /** A clock that the pacer advances. */
  private static class FakeTime implements InstantSource, Pacer {
    long now = 1_000_000;
    final List<Long> waits = new ArrayList<>();
    int budget;

    FakeTime(int polls) {
      budget = polls;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(now);
    }

    @Override
    public void awaitMillis(long due) throws InterruptedException {
      if (budget-- <= 0) {
        throw new InterruptedException("test over");
      }
      waits.add(due);
      now = Math.max(now, due);
    }
  }

  /** Registers in memory; fails while {@code down} is set. */
  private static class MemoryChannel implements ModbusChannel {
    final short[] holding = new short[100];
    ModbusFault.Kind down;
    int requests;
    FakeTime time;
    long costMs;

    @Override
    public short[] readRegisters(ReadRequest r) throws ModbusFault {
      requests++;
      time.now += costMs;
      if (down != null) {
        throw fault(down);
      }
      short[] out = new short[r.count()];
      System.arraycopy(holding, r.address(), out, 0, r.count());
      return out;
    }

    @Override
    public boolean[] readBits(ReadRequest r) {
      return new boolean[r.count()];
    }

    @Override
    public void writeRegisters(int address, short[] words) {}

    @Override
    public void writeCoil(int address, boolean value) {}

    @Override
    public short readHolding(int address) {
      return holding[address];
    }

    @Override
    public void disconnect() {}

    @Override
    public void close() {}
  }

  private static ModbusFault fault(ModbusFault.Kind kind) {
    try {
      var ctor =
          ModbusFault.class.getDeclaredConstructor(
              ModbusFault.Kind.class, int.class, String.class, Throwable.class);
      ctor.setAccessible(true);
      return ctor.newInstance(kind, kind == ModbusFault.Kind.EXCEPTION_RESPONSE ? 2 : 0, "x", null);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }

  private final List<SampleBatch> batches = new ArrayList<>();

  /**
   * A poller of {@link #twoTags()} on a 1 s group, driven by {@code time}, backing off for a fixed
   * {@code backoff}.
   */
  private static DevicePoller poller(
      MemoryChannel channel, FakeTime time, Duration backoff, BatchSink sink, double phase) {
    channel.time = time;
    return new DevicePoller(
        twoTags(),
        Map.of("fast", new PollGroup("fast", Duration.ofSeconds(1))),
        channel,
        time,
        time,
        new Backoff(backoff, backoff, 0, new Random(1)),
        sink,
        PollMetrics.NONE,
        phase);
  }

  private DevicePoller poller(MemoryChannel channel, FakeTime time) {
    return poller(channel, time, Duration.ofSeconds(5), batches::add, 0);
  }

  private static DeviceSpec twoTags() {
    return device(
        "d",
        tag("a", Table.HOLDING, 0, DataType.UINT16),
        tag("b", Table.HOLDING, 2, DataType.INT16));
  }

  @Test
  void pollsOnAFixedGridAndCoalescesReads() {
    FakeTime time = new FakeTime(5);
    MemoryChannel ch = new MemoryChannel();
    ch.holding[0] = 7;
    ch.holding[2] = -3;
    ch.costMs = 30;
    DevicePoller p = poller(ch, time);
    assertThat(p.requestsPerCycle()).isEqualTo(1);
    p.run();
    assertThat(time.waits)
        .containsExactly(1_000_000L, 1_001_000L, 1_002_000L, 1_003_000L, 1_004_000L);
    assertThat(ch.requests).isEqualTo(5);
    assertThat(batches).hasSize(5);
    assertThat(batches.getFirst().samples())
        .extracting(Sample::tag, Sample::v, Sample::q)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("a", 7L, Quality.GOOD),
            org.assertj.core.groups.Tuple.tuple("b", -3L, Quality.GOOD));
    assertThat(batches).extracting(SampleBatch::seq).containsExactly(0L, 1L, 2L, 3L, 4L);
  }

  @Test
  void aPhaseShiftsTheWholeGrid() {
    FakeTime time = new FakeTime(3);
    MemoryChannel ch = new MemoryChannel();
    ch.time = time;
    poller(ch, time, Duration.ofSeconds(1), batches::add, 0.25).run();
    assertThat(time.waits).containsExactly(1_000_250L, 1_001_250L, 1_002_250L);
  }

  @Test
  void aClockSteppedBackWhileWaitingDoesNotStopThePolling() {
    FakeTime time =
        new FakeTime(6) {
          @Override
          public void awaitMillis(long due) throws InterruptedException {
            if (waits.size() == 2) {
              // The host clock steps back an hour during this wait; the pacer returns early.
              waits.add(due);
              budget--;
              now = due - 3_600_000L;
              return;
            }
            super.awaitMillis(due);
          }
        };
    time.now = 10_000_000L;
    MemoryChannel ch = new MemoryChannel();
    poller(ch, time).run();
    // On the old grid the next poll would be an hour away; it is one interval from the new time.
    assertThat(time.waits)
        .containsExactly(10_000_000L, 10_001_000L, 10_002_000L, 6_403_000L, 6_404_000L, 6_405_000L);
    assertThat(ch.requests).isEqualTo(5);
  }

  @Test
  void aClockSteppedBackDuringAPollDoesNotStopThePolling() {
    FakeTime time = new FakeTime(4);
    time.now = 10_000_000L;
    MemoryChannel ch =
        new MemoryChannel() {
          @Override
          public short[] readRegisters(ReadRequest r) throws ModbusFault {
            if (requests == 1) {
              time.now -= 3_600_000L;
            }
            return super.readRegisters(r);
          }
        };
    poller(ch, time).run();
    // The poll ends an hour before the grid's next slot: the next starts one interval after it.
    assertThat(time.waits).containsExactly(10_000_000L, 10_001_000L, 6_402_000L, 6_403_000L);
  }

  @Test
  void anOverrunSkipsMissedSlotsInsteadOfBurstingThem() {
    FakeTime time = new FakeTime(3);
    MemoryChannel ch = new MemoryChannel();
    ch.costMs = 2_500;
    poller(ch, time).run();
    // A 2.5 s poll on a 1 s grid: the next starts at the next free slot of the grid.
    assertThat(time.waits).containsExactly(1_000_000L, 1_003_000L, 1_006_000L);
  }

  @Test
  void commFailureThenStaleWhileBackingOffThenGoodAgain() {
    MemoryChannel ch = new MemoryChannel();
    ch.holding[0] = 5;
    // Nine polls, one a second; the device is down from the 2nd to the 7th.
    FakeTime driver =
        new FakeTime(9) {
          @Override
          public void awaitMillis(long due) throws InterruptedException {
            super.awaitMillis(due);
            int poll = waits.size();
            ch.down = (poll >= 2 && poll < 8) ? ModbusFault.Kind.TIMEOUT : null;
          }
        };
    ch.time = driver;
    DevicePoller p = poller(ch, driver, Duration.ofSeconds(3), batches::add, 0);
    p.run();
    List<Quality> seen = batches.stream().map(b -> b.samples().getFirst().q()).toList();
    // A failed attempt is COMM_FAILURE; the polls inside the 3 s backoff do not touch the device
    // and repeat the last good value as STALE; the attempt after the backoff fails again; then
    // the device is back.
    assertThat(seen)
        .containsExactly(
            Quality.GOOD,
            Quality.COMM_FAILURE,
            Quality.STALE,
            Quality.STALE,
            Quality.COMM_FAILURE,
            Quality.STALE,
            Quality.STALE,
            Quality.GOOD,
            Quality.GOOD);
    assertThat(ch.requests).as("backoff polls send no request").isEqualTo(5);
    assertThat(batches.get(2).samples().getFirst().v()).as("stale repeats last good").isEqualTo(5L);
    assertThat(batches.get(1).samples().getFirst().v()).isNull();
    assertThat(p.reachable()).isTrue();
  }

  @Test
  void aRefusedBatchMarksTheGapOnTheNextOne() {
    FakeTime time = new FakeTime(4);
    time.now = 10_000_000L;
    MemoryChannel ch = new MemoryChannel();
    ch.time = time;
    List<SampleBatch> accepted = new ArrayList<>();
    int[] calls = {0};
    DevicePoller p =
        poller(
            ch,
            time,
            Duration.ofSeconds(1),
            b -> {
              calls[0]++;
              if (calls[0] == 2 || calls[0] == 3) {
                return false;
              }
              accepted.add(b);
              return true;
            },
            0);
    p.run();
    assertThat(accepted).extracting(SampleBatch::seq).containsExactly(0L, 3L);
    assertThat(accepted).extracting(SampleBatch::gapBefore).containsExactly(0L, 2L);
  }
}
