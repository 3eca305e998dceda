package io.edgegw.bridge.poll;

import io.edgegw.bridge.DataType;
import io.edgegw.bridge.DeviceSpec;
import io.edgegw.bridge.PollGroup;
import io.edgegw.bridge.TagSpec;
import io.edgegw.bridge.filter.SampleFilter;
import io.edgegw.bridge.modbus.ModbusChannel;
import io.edgegw.bridge.modbus.ModbusFault;
import io.edgegw.bridge.modbus.ReadPlanner;
import io.edgegw.bridge.modbus.ReadRequest;
import io.edgegw.bridge.modbus.RegisterCodec;
import io.edgegw.contracts.Quality;
import io.edgegw.contracts.Sample;
import io.edgegw.contracts.SampleBatch;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * Polls one device: each of its poll groups on its own fixed-rate schedule, on one thread of its
 * own, so a slow or dead device delays nobody else. Reads are planned once at start ({@link
 * ReadPlanner}); each poll decodes, filters and hands one batch to the {@link BatchSink}.
 *
 * <p>After a communication failure the device backs off ({@link Backoff}); polls that fall in the
 * backoff publish the last values as {@link Quality#STALE} instead of touching the device.
 */
public final class DevicePoller implements Runnable {
  private static final Logger LOG = Logger.getLogger(DevicePoller.class);

  /** The requests of one poll group and when the group is next due. */
  private static final class GroupPlan {
    final PollGroup group;
    final List<ReadRequest> requests;
    final List<TagSpec> tags;
    long due;

    GroupPlan(PollGroup group, List<ReadRequest> requests, List<TagSpec> tags, long due) {
      this.group = group;
      this.requests = requests;
      this.tags = tags;
      this.due = due;
    }
  }

  private final DeviceSpec device;
  private final ModbusChannel channel;
  private final InstantSource clock;
  private final Pacer pacer;
  private final Backoff backoff;
  private final BatchSink sink;
  private final PollMetrics metrics;
  private final List<GroupPlan> plans;
  private final Map<String, SampleFilter> filters = new HashMap<>();
  private final Map<String, Object> lastGood = new HashMap<>();
  private long seq;
  private long gap;
  private volatile boolean reachable = true;
  private volatile long lastSuccess;
  private volatile ModbusFault lastFault;

  /** A poller whose schedule starts now. */
  public DevicePoller(
      DeviceSpec device,
      Map<String, PollGroup> groups,
      ModbusChannel channel,
      InstantSource clock,
      Pacer pacer,
      Backoff backoff,
      BatchSink sink,
      PollMetrics metrics) {
    this(device, groups, channel, clock, pacer, backoff, sink, metrics, 0);
  }

  /**
   * @param groups every poll group of the configuration, by name
   * @param phase fraction of each interval, 0..1, by which this device's grid is shifted; the
   *     runtime spreads devices evenly so that they do not all wake at the same instant
   */
  public DevicePoller(
      DeviceSpec device,
      Map<String, PollGroup> groups,
      ModbusChannel channel,
      InstantSource clock,
      Pacer pacer,
      Backoff backoff,
      BatchSink sink,
      PollMetrics metrics,
      double phase) {
    if (!(phase >= 0 && phase < 1)) {
      throw new IllegalArgumentException("phase must be in [0, 1), got " + phase);
    }
    this.device = device;
    this.channel = channel;
    this.clock = clock;
    this.pacer = pacer;
    this.backoff = backoff;
    this.sink = sink;
    this.metrics = metrics;
    Map<String, List<TagSpec>> byGroup =
        device.tags().stream().collect(Collectors.groupingBy(TagSpec::pollGroup));
    long now = clock.millis();
    List<GroupPlan> built = new ArrayList<>();
    byGroup.forEach((name, tags) -> {
      PollGroup group = groups.get(name);
      if (group == null) {
        throw new IllegalArgumentException(
            "device " + device.id() + " uses unknown poll group " + name);
      }
      List<ReadRequest> requests =
          ReadPlanner.plan(tags, device.maxRegisters(), device.maxBits(), device.maxGap());
      long shift = Math.round(group.interval().toMillis() * phase);
      built.add(new GroupPlan(group, requests, List.copyOf(tags), now + shift));
    });
    this.plans = List.copyOf(built);
    for (TagSpec t : device.tags()) {
      filters.put(t.name(), new SampleFilter(t.deadband(), t.heartbeat(), t.spikeLimit()));
    }
  }

  /** The device this poller owns. */
  public DeviceSpec device() {
    return device;
  }

  /** The channel to the device, shared with writes (the channel serialises them). */
  public ModbusChannel channel() {
    return channel;
  }

  /** Modbus requests one full cycle of every group sends. */
  public int requestsPerCycle() {
    return plans.stream().mapToInt(p -> p.requests.size()).sum();
  }

  /** Whether the last attempt reached the device. */
  public boolean reachable() {
    return reachable;
  }

  /** Time of the last successful poll, epoch ms; 0 if none yet. */
  public long lastSuccess() {
    return lastSuccess;
  }

  /** The last failure, or null. */
  public ModbusFault lastFault() {
    return lastFault;
  }

  /** Polls until the thread is interrupted. */
  @Override
  public void run() {
    if (plans.isEmpty()) {
      return;
    }
    try {
      while (!Thread.currentThread().isInterrupted()) {
        realign(clock.millis());
        GroupPlan next = plans.stream().min(Comparator.comparingLong(p -> p.due)).orElseThrow();
        pacer.awaitMillis(next.due);
        if (next.due > clock.millis()) {
          continue; // the pacer returned early: the clock stepped back; plan again
        }
        pollOnce(next);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      channel.close();
    }
  }

  /**
   * After the clock stepped back, the grid lies in the future, and waiting for it would stop the
   * polling for the length of the step: a group due more than one interval from {@code now} starts
   * again one interval from now.
   */
  private void realign(long now) {
    for (GroupPlan p : plans) {
      long interval = p.group.interval().toMillis();
      if (p.due - now > interval) {
        p.due = now + interval;
      }
    }
  }

  private void pollOnce(GroupPlan plan) {
    long scheduled = plan.due;
    long startNanos = System.nanoTime();
    long now = clock.millis();
    long late = Math.max(0, now - scheduled);
    List<Sample> out = backoff.isWaiting(now) ? stale(plan, now) : read(plan.requests, now);
    offer(out);
    metrics.polled(device.id(), System.nanoTime() - startNanos, late * 1_000_000L);
    long interval = plan.group.interval().toMillis();
    plan.due = scheduled + interval;
    long after = clock.millis();
    if (plan.due <= after) {
      // Overran a whole interval (slow device, long timeout): skip the missed polls rather than
      // firing them back to back, and keep the grid so the next poll starts on schedule.
      long missed = (after - plan.due) / interval + 1;
      plan.due += missed * interval;
      metrics.overrun(device.id());
    }
  }

  /** Reads every request of a group; a communication failure ends the cycle early. */
  List<Sample> read(List<ReadRequest> requests, long now) {
    List<Sample> out = new ArrayList<>();
    ModbusFault commFailure = null;
    for (ReadRequest request : requests) {
      if (commFailure != null) {
        failed(request, commFailure, now, out);
        continue;
      }
      metrics.request(device.id());
      try {
        if (request.table().isBitTable()) {
          boolean[] bits = channel.readBits(request);
          for (TagSpec tag : request.tags()) {
            accept(tag, now, bits[tag.address() - request.address()], out);
          }
        } else {
          short[] words = channel.readRegisters(request);
          for (TagSpec tag : request.tags()) {
            decode(tag, words, tag.address() - request.address(), now, out);
          }
        }
      } catch (ModbusFault f) {
        metrics.error(device.id(), f.kind());
        lastFault = f;
        failed(request, f, now, out);
        if (f.kind().isCommFailure()) {
          commFailure = f;
        }
      }
    }
    if (commFailure != null) {
      reachable = false;
      // The pause counts from the end of the failed attempt: a timeout longer than the pause
      // must not leave the device to be hammered at every poll.
      long failedAt = clock.millis();
      long retry = backoff.onFailure(failedAt);
      LOG.warnf(
          "%s unreachable (%s), %d failure(s) in a row; next attempt in %d ms",
          device.id(), commFailure.getMessage(), backoff.failures(), retry - failedAt);
    } else {
      if (!reachable) {
        LOG.infof("%s reachable again", device.id());
      }
      reachable = true;
      lastSuccess = now;
      backoff.onSuccess();
    }
    return out;
  }

  private void decode(TagSpec tag, short[] words, int offset, long now, List<Sample> out) {
    Object value;
    try {
      value = RegisterCodec.decode(tag, words, offset);
    } catch (IllegalArgumentException e) {
      filter(tag, now, null, Quality.BAD, out);
      return;
    }
    if (value instanceof Double d && !Double.isFinite(d)) {
      // NaN or infinity from the device: not a usable measurement.
      filter(tag, now, null, Quality.BAD, out);
      return;
    }
    accept(tag, now, value, out);
  }

  private void accept(TagSpec tag, long now, Object value, List<Sample> out) {
    if (tag.type() == DataType.BOOL && !(value instanceof Boolean)) {
      throw new IllegalStateException("bool tag " + tag.name() + " decoded as " + value);
    }
    filter(tag, now, value, Quality.GOOD, out);
  }

  private void failed(ReadRequest request, ModbusFault f, long now, List<Sample> out) {
    for (TagSpec tag : request.tags()) {
      filter(tag, now, null, f.kind().quality(), out);
    }
  }

  private List<Sample> stale(GroupPlan plan, long now) {
    List<Sample> out = new ArrayList<>();
    for (TagSpec tag : plan.tags) {
      filter(tag, now, lastGood.get(tag.name()), Quality.STALE, out);
    }
    return out;
  }

  private void filter(TagSpec tag, long now, Object value, Quality q, List<Sample> out) {
    SampleFilter.Decision decision = filters.get(tag.name()).offer(now, value, q);
    switch (decision) {
      case PUBLISH -> {
        if (q == Quality.GOOD) {
          lastGood.put(tag.name(), value);
        }
        out.add(new Sample(tag.name(), now, value, q));
      }
      case SUPPRESS -> {
        if (q == Quality.GOOD) {
          lastGood.put(tag.name(), value);
        }
      }
      case SPIKE -> out.add(new Sample(tag.name(), now, null, Quality.BAD));
    }
  }

  private void offer(List<Sample> samples) {
    if (samples.isEmpty()) {
      return;
    }
    SampleBatch batch = SampleBatch.of(device.id(), seq++, samples, gap);
    if (sink.offer(batch)) {
      gap = 0;
    } else {
      gap++;
    }
  }
}
