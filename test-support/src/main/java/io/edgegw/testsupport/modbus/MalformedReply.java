package io.edgegw.testsupport.modbus;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One scripted answer of a {@link MalformedModbusPeer}, read from the text of a corpus file so that
 * a bad frame is written down once, as hex, next to what a master must make of it:
 *
 * <pre>
 * # The MBAP length promises 200 bytes; 8 follow.
 * after: stall
 * expect: COMM_FAILURE
 * tid 0000 00C8 unit 03 04 0BAD 0BAD
 * </pre>
 *
 * Lines starting with {@code #} are comments; {@code key: value} lines are headers ({@code after}
 * is the peer's, any other is kept for the test in {@link #headers()}); the remaining lines are the
 * frame: hex bytes, where the token {@code tid} is replaced by the request's transaction id (two
 * bytes), {@code tid+1} by the next one, and {@code unit} by the request's unit id (one byte).
 *
 * @param name what the reply is called in a test report
 * @param tokens the frame's tokens in order
 * @param after what the peer does once the frame is written
 * @param headers every header but {@code after}, by lower-case key
 */
public record MalformedReply(
    String name, List<String> tokens, After after, Map<String, String> headers) {

  /** What the peer does after writing the frame. */
  public enum After {
    /** Keeps serving the connection, answering each request the same way. */
    CONTINUE,
    /** Closes the connection. */
    CLOSE,
    /** Keeps the connection open and never answers on it again. */
    STALL
  }

  public MalformedReply {
    tokens = List.copyOf(tokens);
    headers = Map.copyOf(headers);
    if (tokens.isEmpty()) {
      throw new IllegalArgumentException(name + ": the reply has no frame bytes");
    }
    for (String t : tokens) {
      if (!t.equals("tid") && !t.equals("tid+1") && !t.equals("unit")) {
        HexFormat.of().parseHex(t); // throws IllegalArgumentException naming the token
      }
    }
  }

  /**
   * Parses the text of a corpus file.
   *
   * @throws IllegalArgumentException naming the line of a header or token that cannot be read
   */
  public static MalformedReply parse(String name, String text) {
    List<String> tokens = new ArrayList<>();
    Map<String, String> headers = new LinkedHashMap<>();
    After after = After.CONTINUE;
    int lineNo = 0;
    for (String raw : text.split("\n", -1)) {
      lineNo++;
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int colon = line.indexOf(':');
      if (colon > 0) {
        String key = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
        String value = line.substring(colon + 1).strip();
        if (key.equals("after")) {
          try {
            after = After.valueOf(value.toUpperCase(Locale.ROOT));
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                name + ":" + lineNo + ": after must be continue, close or stall, got " + value);
          }
        } else {
          headers.put(key, value);
        }
        continue;
      }
      for (String token : line.split("\\s+")) {
        String t = token.toLowerCase(Locale.ROOT);
        if (!t.equals("tid")
            && !t.equals("tid+1")
            && !t.equals("unit")
            && (t.length() % 2 != 0 || !t.matches("[0-9a-f]+"))) {
          throw new IllegalArgumentException(
              name + ":" + lineNo + ": '" + token + "' is neither hex bytes nor tid, tid+1, unit");
        }
        tokens.add(t);
      }
    }
    return new MalformedReply(name, tokens, after, headers);
  }

  /** The frame as written for a request with this transaction id and unit id. */
  public byte[] frame(int transactionId, int unitId) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String t : tokens) {
      switch (t) {
        case "tid" -> {
          out.write(transactionId >> 8);
          out.write(transactionId);
        }
        case "tid+1" -> {
          int next = (transactionId + 1) & 0xFFFF;
          out.write(next >> 8);
          out.write(next);
        }
        case "unit" -> out.write(unitId);
        default -> out.writeBytes(HexFormat.of().parseHex(t));
      }
    }
    return out.toByteArray();
  }

  /** A header's value, or {@code fallback}. */
  public String header(String key, String fallback) {
    return headers.getOrDefault(key.toLowerCase(Locale.ROOT), fallback);
  }

  @Override
  public String toString() {
    return name;
  }
}
