package io.edgegw.buffer.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The form of buffer.export's arguments. */
class ExportArgsTest {

  @Test
  void seriesMayBeAListOfIdsAndNamesOrACommaSeparatedText() throws Exception {
    assertThat(ExportArgs.of(Map.of("series", List.of(3, "plc/temp", 7L))).series())
        .containsExactly("3", "plc/temp", "7");
    assertThat(ExportArgs.of(Map.of("series", "3,plc/temp")).series())
        .containsExactly("3", "plc/temp");
    assertThat(ExportArgs.of(Map.of()).series()).isEmpty();
    assertThat(ExportArgs.of(Map.of("series", "")).series()).isEmpty();
  }

  @Test
  void theOtherArgumentsAreTakenAsGiven() throws Exception {
    ExportArgs a =
        ExportArgs.of(
            Map.of(
                "from", "P30D", "to", "2026-11-25T00:00:00Z", "format", "json", "chunkRows", 250));
    assertThat(a).isEqualTo(new ExportArgs(List.of(), "P30D", "2026-11-25T00:00:00Z", "json", 250));
    assertThat(ExportArgs.of(Map.of()).chunkRows()).isZero();
  }

  @Test
  void aWrongFormSaysWhichArgumentAndWhatItGot() {
    assertThatThrownBy(() -> ExportArgs.of(Map.of("series", List.of(Map.of("a", 1)))))
        .hasMessageStartingWith("series: each item must be a series id or device/tag, got ");
    assertThatThrownBy(() -> ExportArgs.of(Map.of("series", true)))
        .hasMessage("series: must be a list of series ids or device/tag names, got Boolean 'true'");
    assertThatThrownBy(() -> ExportArgs.of(Map.of("from", List.of())))
        .hasMessageStartingWith("from: must be a text, got ");
    assertThatThrownBy(() -> ExportArgs.of(Map.of("chunkRows", 2_000_000)))
        .hasMessage("chunkRows: must be a whole number from 1 to 1000000, got Integer '2000000'");
    assertThatThrownBy(() -> ExportArgs.of(Map.of("chunkRows", "10")))
        .hasMessage("chunkRows: must be a whole number from 1 to 1000000, got String '10'");
    assertThatThrownBy(() -> ExportArgs.of(Map.of("rows", 1)))
        .hasMessage(
            "unknown argument 'rows' (buffer.export takes series, from, to, format, chunkRows)");
  }
}
