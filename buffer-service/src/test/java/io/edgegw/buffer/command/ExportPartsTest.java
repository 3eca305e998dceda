package io.edgegw.buffer.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Cutting an export into parts: boundaries, the checksum, and the limits. */
class ExportPartsTest {

  record Sent(int part, long rows, String data) {}

  final List<Sent> sent = new ArrayList<>();

  ExportParts parts(int partBytes, int partRows, long maxRows, int maxParts) {
    return new ExportParts(
        new ExportParts.Limits(partBytes, partRows, maxRows, maxParts),
        (n, rows, data) -> sent.add(new Sent(n, rows, data)));
  }

  static void row(ExportParts p, String text) throws IOException {
    p.write(text.getBytes(StandardCharsets.UTF_8));
    p.afterRow();
  }

  static String sha256(String s) throws Exception {
    return HexFormat.of()
        .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void partsEndAtTheRowLimitAndTheChecksumCoversAllTheirData() throws Exception {
    ExportParts p = parts(1 << 20, 2, 100, 100);
    p.write("h\r\n".getBytes(StandardCharsets.UTF_8));
    for (int i = 0; i < 5; i++) {
      row(p, "r" + i + ",é\r\n");
    }
    ExportParts.Summary s = p.finish();

    assertThat(sent).extracting(Sent::part).containsExactly(1, 2, 3);
    assertThat(sent).extracting(Sent::rows).containsExactly(2L, 2L, 1L);
    assertThat(sent.get(0).data()).isEqualTo("h\r\nr0,é\r\nr1,é\r\n");
    String all = String.join("", sent.stream().map(Sent::data).toList());
    assertThat(s).isEqualTo(new ExportParts.Summary(3, 5, sha256(all)));
  }

  @Test
  void aPartEndsOnceItHoldsPartBytesAtTheNextRowBoundary() throws Exception {
    ExportParts p = parts(10, 1000, 100, 100);
    row(p, "12345678"); // 8 bytes: under the limit
    row(p, "abcd"); // 12: the part is sent with both rows
    row(p, "x");
    p.finish();
    assertThat(sent).containsExactly(new Sent(1, 2, "12345678abcd"), new Sent(2, 1, "x"));
  }

  @Test
  void anEmptyExportIsOnePartWithWhateverTheDocumentHolds() throws Exception {
    ExportParts p = parts(10, 10, 100, 100);
    p.write("[]".getBytes(StandardCharsets.UTF_8));
    assertThat(p.finish()).isEqualTo(new ExportParts.Summary(1, 0, sha256("[]")));
    assertThat(sent).containsExactly(new Sent(1, 0, "[]"));
  }

  @Test
  void tooManyRowsOrPartsStopTheExportWithTheSettingsName() throws Exception {
    ExportParts rows = parts(1000, 1000, 3, 100);
    row(rows, "a");
    row(rows, "b");
    row(rows, "c");
    assertThatThrownBy(() -> row(rows, "d"))
        .isInstanceOf(ExportParts.LimitExceeded.class)
        .hasMessageContaining("more than 3 rows (buffer.export.max-rows)");

    sent.clear();
    ExportParts partsLimit = parts(1000, 1, 100, 2);
    row(partsLimit, "a");
    row(partsLimit, "b");
    assertThatThrownBy(() -> row(partsLimit, "c"))
        .isInstanceOf(ExportParts.LimitExceeded.class)
        .hasMessageContaining("more than 2 parts (buffer.export.max-parts)");
    assertThat(sent).hasSize(2);
  }
}
