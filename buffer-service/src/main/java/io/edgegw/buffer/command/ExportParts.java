package io.edgegw.buffer.command;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Cuts an export document into parts at row boundaries: a part is sent once it holds {@code
 * partBytes} or {@code partRows} rows, and the next rows are produced only after the sender has
 * returned (it waits for the broker's acknowledgement), so memory holds one part at most. Keeps the
 * SHA-256 of everything sent and stops the export once it passes its limits.
 */
final class ExportParts extends OutputStream {

  /** Sends one part; returns once it is acknowledged. */
  @FunctionalInterface
  interface Sender {
    void send(int part, long rows, String data) throws IOException;
  }

  /** The export passed {@code buffer.export.max-rows} or {@code max-parts}. */
  static final class LimitExceeded extends IOException {
    private static final long serialVersionUID = 1L;

    LimitExceeded(String message) {
      super(message);
    }
  }

  /** What was sent. */
  record Summary(int parts, long rows, String sha256) {}

  /** Limits of one export. */
  record Limits(int partBytes, int partRows, long maxRows, int maxParts) {
    Limits {
      if (partBytes < 1 || partRows < 1 || maxRows < 1 || maxParts < 1) {
        throw new IllegalArgumentException("export limits must be positive");
      }
    }
  }

  private final Limits limits;
  private final Sender sender;
  private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
  private final MessageDigest sha256;
  private int parts;
  private long rowsInPart;
  private long rows;

  ExportParts(Limits limits, Sender sender) {
    this.limits = limits;
    this.sender = sender;
    try {
      this.sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  @Override
  public void write(int b) {
    buffer.write(b);
  }

  @Override
  public void write(byte[] b, int off, int len) {
    buffer.write(b, off, len);
  }

  /** Called after each complete row (its bytes written and flushed). */
  void afterRow() throws IOException {
    rows++;
    rowsInPart++;
    if (rows > limits.maxRows()) {
      throw new LimitExceeded(
          "the export has more than "
              + limits.maxRows()
              + " rows (buffer.export.max-rows); ask for fewer series or a shorter range");
    }
    if (buffer.size() >= limits.partBytes() || rowsInPart >= limits.partRows()) {
      sendPart();
    }
  }

  /** Sends what is left (at least one part, even for an empty export) and sums up. */
  Summary finish() throws IOException {
    if (buffer.size() > 0 || parts == 0) {
      sendPart();
    }
    return new Summary(parts, rows, HexFormat.of().formatHex(sha256.digest()));
  }

  private void sendPart() throws IOException {
    if (parts >= limits.maxParts()) {
      throw new LimitExceeded(
          "the export needs more than "
              + limits.maxParts()
              + " parts (buffer.export.max-parts); ask for fewer series or a shorter range");
    }
    byte[] bytes = buffer.toByteArray();
    buffer.reset();
    sha256.update(bytes);
    parts++;
    long n = rowsInPart;
    rowsInPart = 0;
    // Parts end at row boundaries, so each one is whole UTF-8.
    sender.send(parts, n, new String(bytes, StandardCharsets.UTF_8));
  }

  @Override
  public void close() {
    // The row writers close their stream at the end of the document; the parts are sent by
    // finish().
  }
}
