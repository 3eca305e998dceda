package io.edgegw.ota.artifact;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class DownloadLedgerTest {
  private final AtomicLong now = new AtomicLong(1_000);
  private final InstantSource clock = () -> Instant.ofEpochMilli(now.get());
  private final List<DownloadLedger.Entry> heard = new ArrayList<>();
  private final DownloadLedger ledger = new DownloadLedger(clock, heard::add);

  private static final String D1 = "sha256:" + "1".repeat(64);
  private static final String D2 = "sha256:" + "2".repeat(64);

  private static StoredArtifact served(String name, String digest, List<String> devices) {
    return new StoredArtifact(
        name,
        "application/octet-stream",
        digest,
        "0".repeat(64),
        100,
        1,
        "r:t",
        devices,
        Path.of("/nonexistent"));
  }

  @Test
  void aCompleteDownloadRecordsItsBytesAndTimes() {
    DownloadLedger.Transfer t = ledger.start("plc-1", "fw.bin", D1, 0, 100, 100);
    assertThat(ledger.get("plc-1", "fw.bin").orElseThrow().state())
        .isEqualTo(DownloadLedger.State.IN_PROGRESS);
    t.sent(60);
    now.set(2_000);
    t.sent(40);
    t.finished();
    DownloadLedger.Entry e = ledger.get("plc-1", "fw.bin").orElseThrow();
    assertThat(e.state()).isEqualTo(DownloadLedger.State.COMPLETE);
    assertThat(e.bytes()).isEqualTo(100);
    assertThat(e.started()).isEqualTo(1_000);
    assertThat(e.t()).isEqualTo(2_000);
    assertThat(heard)
        .extracting(DownloadLedger.Entry::state)
        .containsExactly(DownloadLedger.State.IN_PROGRESS, DownloadLedger.State.COMPLETE);
  }

  @Test
  void aDeviceGoingAwayIsAbortedAndOnlyTheFirstEndCounts() {
    DownloadLedger.Transfer t = ledger.start("plc-2", "fw.bin", D1, 0, 100, 100);
    t.sent(30);
    t.aborted("connection lost: Broken pipe");
    t.finished();
    DownloadLedger.Entry e = ledger.get("plc-2", "fw.bin").orElseThrow();
    assertThat(e.state()).isEqualTo(DownloadLedger.State.ABORTED);
    assertThat(e.bytes()).isEqualTo(30);
    assertThat(e.error()).contains("Broken pipe");
    assertThat(heard).hasSize(2);
  }

  @Test
  void rangesArePartialUnlessTheyReachTheEnd() {
    DownloadLedger.Transfer head = ledger.start("plc-1", "fw.bin", D1, 0, 40, 100);
    head.sent(40);
    head.finished();
    assertThat(ledger.get("plc-1", "fw.bin").orElseThrow().state())
        .isEqualTo(DownloadLedger.State.PARTIAL);
    DownloadLedger.Transfer rest = ledger.start("plc-1", "fw.bin", D1, 40, 60, 100);
    rest.sent(60);
    rest.finished();
    DownloadLedger.Entry e = ledger.get("plc-1", "fw.bin").orElseThrow();
    assertThat(e.state()).isEqualTo(DownloadLedger.State.COMPLETE);
    assertThat(e.offset()).isEqualTo(40);
  }

  @Test
  void anOlderDownloadEndingLateDoesNotHideTheNewerOne() {
    DownloadLedger.Transfer first = ledger.start("plc-1", "fw.bin", D1, 0, 100, 100);
    DownloadLedger.Transfer second = ledger.start("plc-1", "fw.bin", D1, 0, 10, 100);
    first.sent(100);
    first.finished();
    assertThat(ledger.get("plc-1", "fw.bin").orElseThrow().state())
        .isEqualTo(DownloadLedger.State.IN_PROGRESS);
    second.sent(10);
    second.finished();
    assertThat(ledger.get("plc-1", "fw.bin").orElseThrow().state())
        .isEqualTo(DownloadLedger.State.PARTIAL);
  }

  @Test
  void finishingShortOfTheLengthIsAborted() {
    DownloadLedger.Transfer t = ledger.start("plc-1", "fw.bin", D1, 0, 100, 100);
    t.sent(99);
    t.finished();
    assertThat(ledger.get("plc-1", "fw.bin").orElseThrow().state())
        .isEqualTo(DownloadLedger.State.ABORTED);
  }

  @Test
  void targetedDevicesArePendingUntilTheyDownloadTheServedVersion() {
    DownloadLedger.Transfer old = ledger.start("plc-1", "fw.bin", D1, 0, 100, 100);
    old.sent(100);
    old.finished();
    DownloadLedger.Transfer cur = ledger.start("plc-2", "fw.bin", D2, 0, 100, 100);
    cur.sent(100);
    cur.finished();
    List<StoredArtifact> served = List.of(served("fw.bin", D2, List.of("plc-1", "plc-2", "plc-3")));

    Map<String, Map<String, Map<String, Object>>> snap = ledger.snapshot(served);
    assertThat(snap.get("plc-1").get("fw.bin"))
        .containsEntry("state", "PENDING")
        .containsEntry("digest", D2);
    assertThat(snap.get("plc-2").get("fw.bin"))
        .containsEntry("state", "COMPLETE")
        .containsEntry("bytes", 100L);
    assertThat(snap.get("plc-3").get("fw.bin")).containsEntry("state", "PENDING");

    @SuppressWarnings("unchecked")
    Map<String, Object> fw = (Map<String, Object>) ledger.summary(served).get("fw.bin");
    assertThat(fw).containsEntry("digest", D2);
    assertThat(fw.get("devices")).isEqualTo(Map.of("COMPLETE", 1, "PENDING", 2));
  }
}
