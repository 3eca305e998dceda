package io.edgegw.bridge.modbus;

import io.edgegw.contracts.Quality;

/** A Modbus request that failed, classified so the poller can set quality and back off. */
public final class ModbusFault extends Exception {
  private static final long serialVersionUID = 1L;

  /** Failure kinds, also the {@code kind} label of the error metric. */
  public enum Kind {
    /** No answer within the timeout. */
    TIMEOUT,
    /** The device answered with a Modbus exception code. */
    EXCEPTION_RESPONSE,
    /** The answer was corrupt (CRC or framing). */
    CRC,
    /** The connection could not be opened or was lost. */
    DISCONNECTED;

    /** Quality of the samples a failure of this kind leaves. */
    public Quality quality() {
      return switch (this) {
        case EXCEPTION_RESPONSE -> Quality.BAD;
        case TIMEOUT, CRC, DISCONNECTED -> Quality.COMM_FAILURE;
      };
    }

    /** Whether the device is unreachable, so it should back off and reconnect. */
    public boolean isCommFailure() {
      return quality() == Quality.COMM_FAILURE;
    }
  }

  private final Kind kind;
  private final int exceptionCode;

  ModbusFault(Kind kind, int exceptionCode, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
    this.exceptionCode = exceptionCode;
  }

  /** What went wrong. */
  public Kind kind() {
    return kind;
  }

  /** The Modbus exception code for {@link Kind#EXCEPTION_RESPONSE}, otherwise 0. */
  public int exceptionCode() {
    return exceptionCode;
  }
}
