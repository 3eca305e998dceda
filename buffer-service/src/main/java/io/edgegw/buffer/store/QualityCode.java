package io.edgegw.buffer.store;

import io.edgegw.contracts.Quality;

/** The stored code of each {@link Quality}. The numbers are part of the schema: never reorder. */
public final class QualityCode {
  private QualityCode() {}

  /** The code stored for a quality. */
  public static short of(Quality q) {
    return switch (q) {
      case GOOD -> 0;
      case BAD -> 1;
      case STALE -> 2;
      case COMM_FAILURE -> 3;
    };
  }

  /** The quality of a stored code. */
  public static Quality from(short code) {
    return switch (code) {
      case 0 -> Quality.GOOD;
      case 1 -> Quality.BAD;
      case 2 -> Quality.STALE;
      case 3 -> Quality.COMM_FAILURE;
      default -> throw new IllegalArgumentException("unknown stored quality code " + code);
    };
  }
}
