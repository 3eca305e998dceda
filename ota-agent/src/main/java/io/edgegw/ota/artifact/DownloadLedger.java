package io.edgegw.ota.artifact;

import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Per device and artifact name, the latest download: when it started, how many bytes went out, and
 * how it ended. In memory only (an agent restart starts it empty); bounded by the known devices
 * times the stored names. Thread-safe: every server thread reports into it.
 */
public final class DownloadLedger {

  /** How a download stands. */
  public enum State {
    /** Bytes are going out. */
    IN_PROGRESS,
    /** Every byte up to the end of the file was written to the device's connection. */
    COMPLETE,
    /** A range that stops short of the end was written completely (the device resumes). */
    PARTIAL,
    /** The device went away before all bytes were written. */
    ABORTED,
    /** The gateway could not read the stored file. */
    FAILED,
    /** Meant for the device, not downloaded yet (only in {@link #snapshot}). */
    PENDING
  }

  /**
   * One device's latest download of one name.
   *
   * @param device the device id
   * @param name the artifact name
   * @param digest the version downloaded
   * @param state how it stands
   * @param offset the first byte sent (non-zero for a resumed range)
   * @param bytes bytes written so far
   * @param length bytes this response was to send
   * @param started epoch milliseconds
   * @param t last change, epoch milliseconds
   * @param error what went wrong, or empty
   */
  public record Entry(
      String device,
      String name,
      String digest,
      State state,
      long offset,
      long bytes,
      long length,
      long started,
      long t,
      String error) {

    /** As a JSON-friendly map for the status payload. */
    public Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("digest", digest);
      m.put("state", state.name());
      if (offset > 0) {
        m.put("offset", offset);
      }
      m.put("bytes", bytes);
      m.put("length", length);
      m.put("started", started);
      m.put("t", t);
      if (!error.isEmpty()) {
        m.put("error", error);
      }
      return m;
    }
  }

  /** A download in progress: the server counts bytes into it and ends it once. */
  public final class Transfer {
    private final String device;
    private final String name;
    private final String digest;
    private final long offset;
    private final long length;
    private final boolean toEnd;
    private final long started;
    private final AtomicLong bytes = new AtomicLong();
    private final long seq = sequence.incrementAndGet();
    private final java.util.concurrent.atomic.AtomicBoolean ended =
        new java.util.concurrent.atomic.AtomicBoolean();

    private Transfer(
        String device, String name, String digest, long offset, long length, boolean toEnd) {
      this.device = device;
      this.name = name;
      this.digest = digest;
      this.offset = offset;
      this.length = length;
      this.toEnd = toEnd;
      this.started = clock.millis();
    }

    /** Counts bytes written to the connection. */
    public void sent(long count) {
      bytes.addAndGet(count);
    }

    /** All bytes were written: COMPLETE, or PARTIAL for a range short of the end. */
    public void finished() {
      boolean all = bytes.get() == length;
      end(
          all ? (toEnd ? State.COMPLETE : State.PARTIAL) : State.ABORTED,
          all ? "" : "ended after " + bytes.get() + " of " + length + " bytes");
    }

    /** The device went away (its connection broke) before all bytes were written. */
    public void aborted(String why) {
      end(State.ABORTED, why);
    }

    /** The gateway failed to read the file. */
    public void failed(String why) {
      end(State.FAILED, why);
    }

    private void end(State state, String error) {
      if (!ended.compareAndSet(false, true)) {
        return;
      }
      Entry e = entry(state, error);
      put(seq, e);
      listener.accept(e);
    }

    private Entry entry(State state, String error) {
      return new Entry(
          device,
          name,
          digest,
          state,
          offset,
          bytes.get(),
          length,
          started,
          clock.millis(),
          error == null ? "" : error);
    }
  }

  private final InstantSource clock;
  private final Consumer<Entry> listener;
  private final Map<String, Map<String, Entry>> latest = new TreeMap<>();
  private final Map<String, Map<String, Long>> sequences = new TreeMap<>();
  private final AtomicLong sequence = new AtomicLong();

  /**
   * @param clock time
   * @param listener told after a download starts or ends (to publish the status, count metrics)
   */
  public DownloadLedger(InstantSource clock, Consumer<Entry> listener) {
    this.clock = clock;
    this.listener = listener;
  }

  /**
   * Records the start of a download.
   *
   * @param offset the first byte of the response
   * @param length the bytes the response carries
   * @param size the file's size (the response reaches the end when offset + length == size)
   */
  public Transfer start(
      String device, String name, String digest, long offset, long length, long size) {
    Transfer t = new Transfer(device, name, digest, offset, length, offset + length == size);
    Entry e = t.entry(State.IN_PROGRESS, "");
    put(t.seq, e);
    listener.accept(e);
    return t;
  }

  /** Records {@code e} unless a later download of the same device and name is recorded already. */
  private synchronized void put(long seq, Entry e) {
    Map<String, Long> seqs = sequences.computeIfAbsent(e.device(), d -> new TreeMap<>());
    if (seqs.getOrDefault(e.name(), 0L) > seq) {
      return; // an older parallel download ending after a newer one started
    }
    seqs.put(e.name(), seq);
    latest.computeIfAbsent(e.device(), d -> new TreeMap<>()).put(e.name(), e);
  }

  /** A device's latest download of a name, if any. */
  public synchronized java.util.Optional<Entry> get(String device, String name) {
    return java.util.Optional.ofNullable(latest.getOrDefault(device, Map.of()).get(name));
  }

  /**
   * Every device's downloads, with a PENDING entry for each device a served artifact is meant for
   * that has not downloaded that version yet (an older version's download is replaced by it).
   *
   * @param served the served version of every name
   * @return device to name to entry, sorted
   */
  public synchronized Map<String, Map<String, Map<String, Object>>> snapshot(
      List<StoredArtifact> served) {
    Map<String, Map<String, Map<String, Object>>> out = new TreeMap<>();
    latest.forEach((device, byName) ->
        byName.forEach(
            (name, e) -> out.computeIfAbsent(device, d -> new TreeMap<>()).put(name, e.toMap())));
    for (StoredArtifact a : served) {
      for (String device : a.devices()) {
        Entry e = latest.getOrDefault(device, Map.of()).get(a.name());
        if (e == null || !e.digest().equals(a.digest())) {
          Map<String, Object> pending = new LinkedHashMap<>();
          pending.put("digest", a.digest());
          pending.put("state", State.PENDING.name());
          out.computeIfAbsent(device, d -> new TreeMap<>()).put(a.name(), pending);
        }
      }
    }
    return out;
  }

  /**
   * Counts per served artifact of its targeted and actual downloaders' states, for the gateway
   * health aggregate: {@code name -> {digest, size, COMPLETE: n, PENDING: n, ...}}.
   */
  public synchronized Map<String, Object> summary(List<StoredArtifact> served) {
    Map<String, Map<String, Map<String, Object>>> all = snapshot(served);
    Map<String, Object> out = new TreeMap<>();
    for (StoredArtifact a : served) {
      Map<String, Object> one = new LinkedHashMap<>();
      one.put("digest", a.digest());
      one.put("size", a.size());
      Map<String, Integer> counts = new TreeMap<>();
      all.forEach((device, byName) -> {
        Map<String, Object> e = byName.get(a.name());
        if (e != null && a.digest().equals(e.get("digest"))) {
          counts.merge(String.valueOf(e.get("state")), 1, Integer::sum);
        }
      });
      one.put("devices", counts);
      out.put(a.name(), one);
    }
    return out;
  }
}
