package io.edgegw.buffer.ingest;

import io.edgegw.contracts.DeadLetter;
import java.util.concurrent.CompletionStage;

/** Where rejected input goes: {@code gw/v1/dlq/buffer} on the bus. */
@FunctionalInterface
public interface DeadLetterSink {
  /** Sends a dead letter; the stage completes when the broker has it, or fails. */
  CompletionStage<?> send(DeadLetter letter);
}
