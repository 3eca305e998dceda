package io.edgegw.ota.artifact;

/**
 * One {@code Range: bytes=...} of a download (RFC 9110 §14): {@code first-last}, {@code first-} or
 * {@code -suffix}. Several ranges, other units or a malformed header are ignored (the whole file is
 * sent, as the RFC allows); a range starting past the end is {@link #UNSATISFIABLE}.
 *
 * @param first first byte, inclusive
 * @param last last byte, inclusive
 */
public record ByteRange(long first, long last) {
  /** A range that starts past the end of the file (answered 416). */
  public static final ByteRange UNSATISFIABLE = new ByteRange(-1, -1);

  /** Bytes in the range. */
  public long length() {
    return last - first + 1;
  }

  /**
   * The range asked for, clipped to the file.
   *
   * @param header the {@code Range} header, or null
   * @param size the file's size
   * @return null for the whole file, {@link #UNSATISFIABLE}, or the range
   */
  public static ByteRange parse(String header, long size) {
    if (header == null) {
      return null;
    }
    String h = header.strip();
    if (!h.startsWith("bytes=") || h.contains(",")) {
      return null;
    }
    String spec = h.substring("bytes=".length()).strip();
    int dash = spec.indexOf('-');
    if (dash < 0) {
      return null;
    }
    try {
      String a = spec.substring(0, dash).strip();
      String b = spec.substring(dash + 1).strip();
      if (a.isEmpty()) {
        if (b.isEmpty()) {
          return null;
        }
        long suffix = Long.parseLong(b);
        if (suffix <= 0 || size == 0) {
          return UNSATISFIABLE;
        }
        return new ByteRange(Math.max(0, size - suffix), size - 1);
      }
      long first = Long.parseLong(a);
      long last = b.isEmpty() ? Long.MAX_VALUE : Long.parseLong(b);
      if (first < 0 || last < first) {
        return null;
      }
      if (first >= size) {
        return UNSATISFIABLE;
      }
      return new ByteRange(first, Math.min(last, size - 1));
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
