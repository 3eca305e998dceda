package io.edgegw.bridge.publish;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The messages between the pollers and the broker, bounded in bytes. A message counts against the
 * bound from {@link #offer} until the broker acknowledged it ({@link #acknowledged}), so what is in
 * flight is never lost: a failed publish goes back to the head ({@link #retry}).
 *
 * <p>When full, the queue refuses new messages and counts them; it never drops what it holds. The
 * data kept is thus the contiguous history up to the moment the bound was hit, and the caller marks
 * the gap on the device's next batch. Thread-safe.
 */
public final class PublishQueue {
  private final long maxBytes;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition notEmpty = lock.newCondition();
  private final Deque<Outgoing> waiting = new ArrayDeque<>();
  private long bytes;
  private long inFlight;
  private long refused;
  private long refusedSamples;

  /**
   * @param maxBytes bound on the bytes held, waiting and in flight
   */
  public PublishQueue(long maxBytes) {
    if (maxBytes < 1024) {
      throw new IllegalArgumentException("queue bound must be at least 1 KiB, got " + maxBytes);
    }
    this.maxBytes = maxBytes;
  }

  /**
   * Adds a message unless that would pass the bound.
   *
   * @return false if refused (and counted)
   */
  public boolean offer(Outgoing message) {
    lock.lock();
    try {
      if (bytes + message.size() > maxBytes) {
        refused++;
        refusedSamples += message.samples();
        return false;
      }
      bytes += message.size();
      waiting.addLast(message);
      notEmpty.signal();
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Takes the next message to send, waiting up to the timeout; null if none came. */
  public Outgoing take(long timeout, TimeUnit unit) throws InterruptedException {
    lock.lock();
    try {
      long nanos = unit.toNanos(timeout);
      while (waiting.isEmpty()) {
        if (nanos <= 0) {
          return null;
        }
        nanos = notEmpty.awaitNanos(nanos);
      }
      inFlight++;
      return waiting.pollFirst();
    } finally {
      lock.unlock();
    }
  }

  /** The broker acknowledged a taken message: its bytes are released. */
  public void acknowledged(Outgoing message) {
    lock.lock();
    try {
      inFlight--;
      bytes -= message.size();
    } finally {
      lock.unlock();
    }
  }

  /** A taken message could not be delivered: it goes back to the head. */
  public void retry(Outgoing message) {
    lock.lock();
    try {
      inFlight--;
      waiting.addFirst(message);
      notEmpty.signal();
    } finally {
      lock.unlock();
    }
  }

  /** Bytes held, waiting and in flight. */
  public long bytes() {
    lock.lock();
    try {
      return bytes;
    } finally {
      lock.unlock();
    }
  }

  /** Messages held, waiting and in flight. */
  public long depth() {
    lock.lock();
    try {
      return waiting.size() + inFlight;
    } finally {
      lock.unlock();
    }
  }

  /** Messages refused because the queue was full, since start. */
  public long refused() {
    lock.lock();
    try {
      return refused;
    } finally {
      lock.unlock();
    }
  }

  /** Samples in refused messages, since start. */
  public long refusedSamples() {
    lock.lock();
    try {
      return refusedSamples;
    } finally {
      lock.unlock();
    }
  }

  /** The bound in bytes. */
  public long maxBytes() {
    return maxBytes;
  }
}
