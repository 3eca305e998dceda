package io.edgegw.contracts;

/**
 * Quality of one sample. Filtering never hides a change of quality.
 *
 * <ul>
 *   <li>{@code GOOD}: read and decoded from the device in this poll.
 *   <li>{@code BAD}: the device answered, but the value is unusable (exception response, decoding
 *       failure, spike held back).
 *   <li>{@code STALE}: the last good value, repeated because this poll produced none (the device is
 *       backing off after failures).
 *   <li>{@code COMM_FAILURE}: the device could not be reached (timeout, CRC error, disconnect).
 * </ul>
 */
public enum Quality {
  GOOD,
  BAD,
  STALE,
  COMM_FAILURE
}
