package io.edgegw.bridge.poll;

import io.edgegw.contracts.SampleBatch;

/** Where the pollers hand their batches. */
@FunctionalInterface
public interface BatchSink {
  /**
   * Takes a batch for publishing.
   *
   * @return false when the batch was refused because the publish queue is full; the caller marks
   *     the gap on its next batch
   */
  boolean offer(SampleBatch batch);
}
