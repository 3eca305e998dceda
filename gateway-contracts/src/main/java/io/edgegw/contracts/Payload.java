package io.edgegw.contracts;

/**
 * A message of the local-bus contract. Every payload carries the schema version {@code v} it was
 * written with; {@link PayloadCodec} rejects versions it does not read.
 */
public sealed interface Payload
    permits SampleBatch, Status, Command, CommandResult, AlarmState, AlarmEvent, DeadLetter {

  /** Schema version of this contract. Bumped only for incompatible changes. */
  int SCHEMA_VERSION = 1;

  /** Schema version the payload was written with. */
  int v();
}
