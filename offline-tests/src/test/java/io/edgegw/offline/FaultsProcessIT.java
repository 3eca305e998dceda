package io.edgegw.offline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgegw.testsupport.ServiceProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The fault suite of issue #8: the real bridge, buffer, rules and uplink over real Mosquitto and
 * PostgreSQL, with a plant publishing 1,000 samples/s on the bus and the bridge polling a Modbus
 * simulator, while the test injects, at points drawn from a seeded {@link Random}:
 *
 * <ol>
 *   <li><b>during steady load</b>, in a seeded order and after a seeded number of plant steps each:
 *       SIGKILL of the bridge, the buffer, the rules and the uplink (each started again at once, as
 *       systemd's or podman's restart policy does), a restart of the local Mosquitto and one of
 *       PostgreSQL;
 *   <li><b>an outage that fills the disk quota</b>: the cloud cut while the plant publishes more
 *       than the buffer's quota holds, so that unsent data must be dropped;
 *   <li><b>during the backfill</b> that follows, at seeded fractions of its progress: SIGKILL of
 *       the uplink and of the buffer, Mosquitto and PostgreSQL restarts, and the cloud flapping
 *       twice;
 *   <li><b>a clock step</b> of every service (libfaketime, see {@link FaultGateway}): one hour
 *       forward, then a cloud cut. The steps back (two hours back, one forward again) are in {@link
 *       #faultsWithTheClockSteppedBack}.
 * </ol>
 *
 * <p>After each fault every service must be ready again and data must flow again (a plant step
 * published after the fault, or a bridge sample taken after it, at the cloud). At the end, with the
 * store's audit triggers as the oracle of what the buffer accepted and what its quota removed:
 * every published plant sample was accepted; every accepted sample is at the cloud exactly once
 * after dedup by key, or was removed unsent by the quota; the quota's removals are recorded in
 * {@code data_dropped} with exactly their row count (and counted in the metric); each plant series
 * arrives in time order per lane; nothing arrives that the store never had.
 *
 * <p>The seed is printed; {@code -Dfaults.seed=N} replays a run's choices (the machine's timing
 * still varies).
 */
@Timeout(value = 9, unit = TimeUnit.MINUTES)
class FaultsProcessIT {
  static final long SEED = Long.getLong("faults.seed", 8_2026_11_27L);

  /** Plant steps published during the outage: about 120,000 samples, more than the quota holds. */
  static final int OUTAGE_STEPS = 2_400;

  /** How long a service may take to be ready and deliver again on the shared 2-core machine. */
  static final Duration RECOVERY = Duration.ofSeconds(120);

  static final Duration CLOCK_STEP = Duration.ofHours(1);

  private final List<String> log = new ArrayList<>();
  private final List<String> selfExits = new ArrayList<>();
  private final Map<String, Long> dropBaseline = new java.util.HashMap<>();

  /**
   * What a run injects, and whether it checks that every accepted sample not removed by the quota
   * reached the cloud.
   */
  record Scenario(boolean quotaFills, boolean faults, boolean stepBack, boolean deliveryChecked) {}

  @Test
  void faultsDuringLoadAndBackfill() throws Exception {
    run(new Scenario(false, true, false, true));
  }

  /**
   * An outage longer than the quota holds: the drops are recorded with exactly the rows they
   * removed. Delivery of the rest is {@link #theQuotaFillingUpLosesNothing}.
   */
  @Test
  void theQuotaFillingUpIsRecorded() throws Exception {
    run(new Scenario(true, false, false, false));
  }

  /**
   * The same outage, and every accepted sample not removed by the quota reaches the cloud. This
   * case found lost data: the quota removed some rows of a commit that the uplink was sending in
   * parts by row position, so later parts skipped rows and the commit was recorded as delivered.
   * The quota now removes whole commits ({@code StoreMaintenance.removeCommits}).
   */
  @Test
  void theQuotaFillingUpLosesNothing() throws Exception {
    run(new Scenario(true, false, false, true));
  }

  /**
   * The faults with the clock stepped back as well. Two services were fixed by this case: the
   * bridge's poll grid and the uplink's delivery loop and offline detection ran on the wall clock
   * (after a step back of an hour the uplink delivered nothing for an hour); both wait on monotonic
   * time now.
   */
  @Test
  void faultsWithTheClockSteppedBack() throws Exception {
    run(new Scenario(false, true, true, true));
  }

  private void run(Scenario scenario) throws Exception {
    Random random = new Random(SEED);
    System.out.println(
        "faults: " + scenario + ", seed " + SEED + " (replay with -Dfaults.seed=" + SEED + ")");
    long started = System.nanoTime();
    // Plant time: 40 hours ending 2 hours before now, so that it stays behind the services'
    // clock when the suite steps that back by an hour.
    long steps = Duration.ofHours(40).toMillis() / PlantData.INTERVAL_MS;
    long t0 =
        System.currentTimeMillis() / PlantData.INTERVAL_MS * PlantData.INTERVAL_MS
            - Duration.ofHours(42).toMillis();
    PlantData plant = new PlantData(t0, -1, -1);
    plantT0 = t0;
    try (FaultGateway gw =
            FaultGateway.start(
                scenario.quotaFills() ? FaultGateway.QUOTA_BYTES : FaultGateway.NO_QUOTA);
        PlantWriter writer = new PlantWriter(gw, plant, steps)) {
      CloudLedger cloud = new CloudLedger(gw);
      await("link ONLINE").atMost(Duration.ofSeconds(60)).until(() -> "ONLINE".equals(gw.link()));
      dropBaseline.put("buffer", 0L);
      writer.start();

      // 1. Faults during steady load, each after a seeded number of plant steps.
      List<String> load =
          new ArrayList<>(
              List.of(
                  "kill bridge",
                  "kill buffer",
                  "kill rules",
                  "kill uplink",
                  "restart mosquitto",
                  "restart postgresql"));
      Collections.shuffle(load, random);
      if (!scenario.faults()) {
        load.clear();
      }
      for (String fault : load) {
        long at = writer.next() + 20 + 10L * random.nextInt(8);
        await("plant step " + at)
            .atMost(Duration.ofSeconds(60))
            .until(() -> writer.next() >= at || writer.failure() != null);
        inject(gw, fault, "load, plant step " + writer.next());
        awaitRecovered(gw, cloud, writer, fault);
      }

      // 2. An outage that fills the quota.
      gw.cloud.stop();
      await("OFFLINE")
          .atMost(Duration.ofSeconds(OFFLINE_AFTER_S + 10))
          .until(() -> "OFFLINE".equals(gw.link()));
      writer.rush(OUTAGE_STEPS);
      await("the outage's plant data published")
          .atMost(Duration.ofMinutes(2))
          .until(() -> !writer.rushing() || writer.failure() != null);
      assertThat(writer.failure()).isNull();
      if (scenario.quotaFills()) {
        await("unsent data dropped by the quota and recorded")
            .atMost(Duration.ofMinutes(2))
            .pollInterval(Duration.ofMillis(500))
            .until(() -> droppedRows(gw) > 0);
        await("the store back within its quota")
            .atMost(Duration.ofMinutes(1))
            .until(() -> gw.service("buffer").metric("buffer_store_bytes") <= QUOTA);
        await("buffer_data_dropped_rows_total counts the recorded rows")
            .atMost(Duration.ofSeconds(30))
            .until(() ->
                gw.service("buffer")
                        .metric("buffer_data_dropped_rows_total", Map.of("reason", "quota"))
                    == droppedRows(gw) - dropBaseline.get("buffer"));
        note("outage: " + droppedRows(gw) + " unsent rows dropped by the quota and recorded");
      } else {
        await("the outage's plant data stored")
            .atMost(Duration.ofMinutes(2))
            .until(() -> gw.scalar("SELECT count(*) FROM fault_accepted") >= writer.next() * 50);
      }

      // 3. Faults during the backfill, at seeded fractions of its progress.
      gw.cloud.resume();
      int atRestore = cloud.update();
      long backlog = writer.next() * PlantData.SERIES - droppedRows(gw) - atRestore;
      List<String> backfill =
          new ArrayList<>(
              List.of(
                  "kill uplink",
                  "kill buffer",
                  "restart mosquitto",
                  "restart postgresql",
                  "flap cloud",
                  "flap cloud"));
      Collections.shuffle(backfill, random);
      if (!scenario.faults()) {
        backfill.clear();
      }
      List<Double> fractions = new ArrayList<>();
      for (int i = 0; i < backfill.size(); i++) {
        fractions.add(0.05 + 0.6 * random.nextDouble());
      }
      fractions.sort(null);
      for (int i = 0; i < backfill.size(); i++) {
        long target = atRestore + (long) (fractions.get(i) * backlog);
        await("backfill at " + target + " samples")
            .atMost(RECOVERY)
            .pollInterval(Duration.ofMillis(200))
            .until(() -> cloud.update() >= target);
        String fault = backfill.get(i);
        inject(
            gw, fault, "backfill at %.0f%% (link %s)".formatted(fractions.get(i) * 100, gw.link()));
        awaitRecovered(gw, cloud, writer, fault);
      }

      // 4. The clock steps: an hour forward (and with stepBack, two back, one forward again), with
      // a
      // cloud cut after the steps.
      if (scenario.faults()) {
        stepClock(gw, cloud, writer, CLOCK_STEP);
      }
      if (scenario.stepBack()) {
        stepClock(gw, cloud, writer, CLOCK_STEP.negated());
      }
      gw.cloud.stop();
      await("OFFLINE within offline.after after the clock steps")
          .atMost(Duration.ofSeconds(OFFLINE_AFTER_S + 5))
          .until(() -> "OFFLINE".equals(gw.link()));
      gw.cloud.resume();
      note("cloud cut after the clock steps: OFFLINE shown");
      awaitRecovered(gw, cloud, writer, "cloud cut after the clock steps");
      if (scenario.stepBack()) {
        stepClock(gw, cloud, writer, Duration.ZERO);
      }

      long produced = writer.stop() * PlantData.SERIES;
      assertThat(writer.failure()).as("the plant writer").isNull();
      checkInvariants(gw, cloud, produced, scenario);
      for (ServiceProcess p : gw.services.values()) {
        assertThat(p.healthStatus()).as(p.name() + " ready at the end").isEqualTo(200);
      }
      assertThat(selfExits).as("services that exited without being killed").isEmpty();
      await("link ONLINE at the end")
          .atMost(Duration.ofSeconds(60))
          .until(() -> "ONLINE".equals(gw.link()));
      note(
          "done in %d s: %d plant samples, %d at the cloud in %d messages (%d duplicate keys)"
              .formatted(
                  Duration.ofNanos(System.nanoTime() - started).toSeconds(),
                  produced,
                  cloud.seen.size(),
                  cloud.messages,
                  cloud.duplicateKeys));
    } finally {
      System.out.println("faults (seed " + SEED + "):\n  " + String.join("\n  ", log));
    }
  }

  private static final long QUOTA = FaultGateway.QUOTA_BYTES;
  private static final int OFFLINE_AFTER_S = FaultGateway.OFFLINE_AFTER_S;

  /**
   * Every sample the buffer accepted is at the cloud once, or was removed unsent by the quota and
   * recorded; nothing else arrived.
   */
  private void checkInvariants(FaultGateway gw, CloudLedger cloud, long produced, Scenario scenario)
      throws Exception {
    String plantAccepted =
        "SELECT count(*) FROM fault_accepted WHERE series_id IN"
            + " (SELECT id FROM series WHERE device LIKE 'd%')";
    try {
      await("every published plant sample accepted by the buffer")
          .atMost(Duration.ofMinutes(1))
          .until(() -> gw.scalar(plantAccepted) >= produced);
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError(
          "published " + produced + " plant samples, accepted " + gw.scalar(plantAccepted), e);
    }
    Set<Long> plantKeys =
        CloudLedger.keys(
            gw,
            "SELECT series_id, ts FROM fault_accepted WHERE series_id IN"
                + " (SELECT id FROM series WHERE device LIKE 'd%')");
    long reinserted = gw.scalar(plantAccepted) - plantKeys.size();
    assertThat(plantKeys)
        .as("distinct plant samples accepted (%d rows inserted again after a removal)", reinserted)
        .hasSize((int) produced);
    if (scenario.deliveryChecked()) {
      try {
        await("every accepted sample at the cloud, or removed unsent by the quota")
            .atMost(Duration.ofMinutes(3))
            .pollInterval(Duration.ofSeconds(1))
            .until(() -> missing(gw, cloud).isEmpty());
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        Set<Long> missing = missing(gw, cloud);
        throw new AssertionError(
            missing.size()
                + " accepted samples neither at the cloud nor removed unsent by the quota, e.g. "
                + describe(gw, missing),
            e);
      }
    }
    Set<Long> quotaDeleted = quotaDeleted(gw);
    Set<Long> accepted = CloudLedger.keys(gw, "SELECT series_id, ts FROM fault_accepted");
    // A row inserted twice (removed in between) would reach the cloud twice, which the ledger
    // checks; the count is noted: runs on 2026-11-27 showed 3 such rows, not yet explained.
    note(
        "audit: %d rows inserted more than once"
            .formatted(gw.scalar("SELECT count(*) FROM fault_accepted") - accepted.size()));
    assertThat(cloud.twice).as("samples at the cloud twice after dedup by key").isEmpty();
    assertThat(cloud.keyConflicts).as("keys sent again with other rows").isEmpty();
    Set<Long> invented = new HashSet<>(cloud.seen);
    invented.removeAll(accepted);
    assertThat(CloudLedger.some(invented, 10))
        .as("samples at the cloud that the buffer never accepted")
        .isEmpty();
    assertThat(cloud.outOfOrder).as("plant series out of time order on a lane").isEmpty();

    // The quota's drops are recorded with exactly the rows they removed, and each removed row
    // lies in a recorded range.
    long recorded = droppedRows(gw);
    if (scenario.quotaFills()) {
      assertThat(recorded).as("rows recorded as dropped by the quota").isPositive();
    } else {
      assertThat(recorded).as("rows dropped with the quota never reached").isZero();
    }
    // Rows, not keys: a sample inserted again after the quota removed it, and removed again, is
    // two removals. The audit tells whether each removed row was delivered when it went.
    String again =
        "SELECT series_id, ts FROM fault_deleted WHERE statement LIKE 'WITH gone%'"
            + " GROUP BY series_id, ts HAVING count(*) > 1";
    note(
        "audit: %d samples removed by the quota more than once%s"
            .formatted(
                gw.scalar("SELECT count(*) FROM (" + again + ") t"),
                history(gw, again + " LIMIT 3")));
    // A quota step records its drop right after its delete, in a transaction of its own, and the
    // buffer goes on working meanwhile (the store stays at its quota, so new data makes new steps):
    // the three counts are read together, in one statement, until a reading falls between steps
    // (runs on 2026-11-27/28 read the records just before a step's record came).
    String snapshot =
        "SELECT (SELECT coalesce(sum(row_count), 0) FROM data_dropped WHERE reason = 'quota')"
            + " || ' ' || (SELECT count(*) FROM fault_deleted WHERE statement LIKE 'WITH gone%'"
            + " AND NOT delivered) || ' ' || (SELECT count(*) FROM fault_deleted f WHERE"
            + " statement LIKE 'WITH gone%' AND NOT EXISTS (SELECT 1 FROM data_dropped d WHERE"
            + " d.reason = 'quota' AND f.ts BETWEEN d.from_ts AND d.to_ts))";
    long[] counts = new long[3];
    try {
      await("every unsent row the quota deleted recorded, in a recorded range")
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> {
            String[] read = gw.strings(snapshot).getFirst().split(" ");
            for (int i = 0; i < 3; i++) {
              counts[i] = Long.parseLong(read[i]);
            }
            return counts[0] == counts[1] && counts[2] == 0;
          });
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      // the assertions below say by how much and where
    }
    recorded = counts[0];
    // Each removal is a statement of its own: the row counts of the records and of the audit's
    // removals by transaction, side by side, say which removal a difference comes from.
    assertThat(recorded)
        .as(
            "recorded rows = unsent rows the quota deleted; recorded %s, deleted unsent %s",
            gw.strings(
                "SELECT string_agg(row_count::text, ',' ORDER BY from_ts) FROM data_dropped"
                    + " WHERE reason = 'quota'"),
            gw.strings(
                "SELECT string_agg(n::text, ',' ORDER BY t) FROM (SELECT count(*) FILTER (WHERE"
                    + " NOT delivered) AS n, min(ts) AS t FROM fault_deleted WHERE statement"
                    + " LIKE 'WITH gone%' GROUP BY xid) g WHERE n > 0"))
        .isEqualTo(counts[1]);
    assertThat(counts[2]).as("removed rows outside every recorded range").isZero();
    assertThat(gw.scalar("SELECT count(*) FROM data_dropped WHERE reason <> 'quota'"))
        .as("drops for another reason than the quota")
        .isZero();
    Set<Long> lost = new HashSet<>(accepted);
    lost.removeAll(cloud.seen);
    note(
        "accepted %d, at the cloud %d, removed unsent by the quota %d (recorded %d), of those"
                .formatted(accepted.size(), cloud.seen.size(), quotaDeleted.size(), recorded)
            + " never at the cloud "
            + lost.size());
  }

  /** Every insert and delete of the samples that {@code keys} selects, in time order. */
  private static String history(FaultGateway gw, String keys) throws Exception {
    StringBuilder out = new StringBuilder();
    for (long k : CloudLedger.keys(gw, keys)) {
      long series = k >>> 44;
      String ts = "to_timestamp(" + (k & ((1L << 44) - 1)) / 1000.0 + ")";
      String where = " WHERE series_id = " + series + " AND ts = " + ts;
      out.append("\n  series ").append(series).append(' ').append(ts).append(':');
      for (String row :
          gw.strings(
              "SELECT at || ' inserted seq ' || ingest_seq AS e, at FROM fault_accepted"
                  + where
                  + " UNION ALL SELECT at || ' deleted seq ' || ingest_seq || ' delivered '"
                  + " || delivered || ' by ' || statement, at FROM fault_deleted"
                  + where
                  + " ORDER BY at")) {
        out.append("\n    ").append(row);
      }
    }
    return out.toString();
  }

  /** Accepted samples neither at the cloud nor removed by the quota. */
  private static Set<Long> missing(FaultGateway gw, CloudLedger cloud) throws Exception {
    cloud.update();
    Set<Long> missing = CloudLedger.keys(gw, "SELECT series_id, ts FROM fault_accepted");
    missing.removeAll(cloud.seen);
    missing.removeAll(quotaDeleted(gw));
    return missing;
  }

  private static Set<Long> quotaDeleted(FaultGateway gw) throws Exception {
    return CloudLedger.keys(
        gw, "SELECT series_id, ts FROM fault_deleted WHERE statement LIKE 'WITH gone%'");
  }

  /** Where up to 10 samples stand in the store: commit, delivered range, still stored, deleted. */
  private static String describe(FaultGateway gw, Set<Long> keys) throws Exception {
    StringBuilder out = new StringBuilder();
    for (long k : CloudLedger.some(keys, 10)) {
      long series = k >>> 44;
      long t = k & ((1L << 44) - 1);
      String ts = "to_timestamp(" + t / 1000.0 + ")";
      out.append("\n  series ")
          .append(series)
          .append(" t=")
          .append(java.time.Instant.ofEpochMilli(t))
          .append(": ingest_seq ")
          .append(
              gw.scalar(
                  "SELECT coalesce(max(ingest_seq), -1) FROM fault_accepted WHERE series_id = "
                      + series
                      + " AND ts = "
                      + ts))
          .append(", in outbox_delivered ")
          .append(
              gw.scalar(
                  "SELECT count(*) FROM outbox_delivered d, fault_accepted a WHERE a.series_id = "
                      + series
                      + " AND a.ts = "
                      + ts
                      + " AND a.ingest_seq BETWEEN d.from_seq AND d.to_seq"))
          .append(", still stored ")
          .append(
              gw.scalar(
                  "SELECT count(*) FROM sample WHERE series_id = " + series + " AND ts = " + ts))
          .append(", deletions ")
          .append(
              gw.scalar(
                  "SELECT count(*) FROM fault_deleted WHERE series_id = "
                      + series
                      + " AND ts = "
                      + ts));
    }
    try (java.sql.Connection c = gw.connect();
        java.sql.Statement st = c.createStatement();
        java.sql.ResultSet rs =
            st.executeQuery(
                "SELECT consumer, lane, ingest_seq FROM outbox_position ORDER BY 1, 2")) {
      while (rs.next()) {
        out.append("\n  position ")
            .append(rs.getString(1))
            .append("/")
            .append(rs.getString(2))
            .append(" at ")
            .append(rs.getLong(3));
      }
    }
    return out.toString();
  }

  private static long droppedRows(FaultGateway gw) throws Exception {
    return gw.scalar("SELECT coalesce(sum(row_count), 0) FROM data_dropped WHERE reason = 'quota'");
  }

  private void inject(FaultGateway gw, String fault, String when) throws Exception {
    note(fault + " during " + when);
    switch (fault) {
      case "restart mosquitto" -> gw.local.restart();
      case "restart postgresql" -> gw.pg.restart();
      case "flap cloud" -> {
        gw.cloud.stop();
        await("OFFLINE in a flap")
            .atMost(Duration.ofSeconds(OFFLINE_AFTER_S + 10))
            .until(() -> "OFFLINE".equals(gw.link()));
        gw.cloud.resume();
      }
      default -> {
        String name = fault.substring("kill ".length());
        ServiceProcess p = gw.service(name);
        p.kill();
        if (name.equals("buffer")) {
          // Its counters start again from zero.
          dropBaseline.put("buffer", droppedRows(gw));
        }
        superviseStart(p);
      }
    }
  }

  /**
   * Starts {@code p} as a restart policy does: again when it exits before it is ready (at most
   * three starts). Each extra start is noted: a service that needs it did not come up on the first
   * try.
   */
  private void superviseStart(ServiceProcess p) {
    for (int attempt = 1; ; attempt++) {
      p.start();
      try {
        p.awaitReady(RECOVERY);
        return;
      } catch (AssertionError e) {
        if (p.isAlive() || attempt == 3) {
          throw e;
        }
        note(
            "  %s exited before it was ready (start %d); started again"
                .formatted(p.name(), attempt));
      }
    }
  }

  /**
   * Every service ready, and data flowing again: a plant step published after the fault and a
   * bridge sample taken after it (by the services' clock) at the cloud.
   */
  private void awaitRecovered(FaultGateway gw, CloudLedger cloud, PlantWriter writer, String fault)
      throws Exception {
    long t0 = System.nanoTime();
    for (ServiceProcess p : gw.services.values()) {
      if (!p.isAlive()) {
        selfExits.add(p.name() + " after " + fault + ":\n" + p.logTail());
        note("  %s exited by itself after %s; restarted".formatted(p.name(), fault));
        superviseStart(p);
      }
      p.awaitReady(RECOVERY);
    }
    long step = writer.next();
    long bridgeAfter = System.currentTimeMillis() + clockOffset;
    await("plant step " + step + " at the cloud after " + fault)
        .atMost(RECOVERY)
        .pollInterval(Duration.ofMillis(200))
        .until(() -> plantStepAtCloud(cloud) >= step || writer.failure() != null);
    assertThat(writer.failure()).as("the plant writer").isNull();
    await("a bridge sample taken after " + fault + " at the cloud")
        .atMost(RECOVERY)
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> cloud.bridgeSampleBetween(bridgeAfter, bridgeAfter + BRIDGE_WINDOW.toMillis()));
    if (fault.equals("kill rules")) {
      await("rules evaluating again")
          .atMost(RECOVERY)
          .until(() -> gw.service("rules").metric("rules_batches_total") > 0);
    }
    note("  recovered from %s in %.1f s".formatted(fault, (System.nanoTime() - t0) / 1e9));
  }

  /** A bridge sample stamped within this of a time was taken after it, not an hour before. */
  private static final Duration BRIDGE_WINDOW = Duration.ofMinutes(5);

  private long clockOffset;

  /** The newest plant step at the cloud (any device). */
  private long plantStepAtCloud(CloudLedger cloud) throws Exception {
    long newest = -1;
    for (int d = 0; d < PlantData.DEVICES; d++) {
      newest = Math.max(newest, cloud.newest("d" + d));
    }
    return newest < 0 ? -1 : (newest - plantT0) / PlantData.INTERVAL_MS;
  }

  private long plantT0;

  /**
   * Steps every service's clock to real time plus {@code offset}, then waits until a bridge sample
   * stamped with the new clock is at the cloud, every service is still ready (none crashed), and
   * plant data still flows.
   */
  private void stepClock(FaultGateway gw, CloudLedger cloud, PlantWriter writer, Duration offset)
      throws Exception {
    note("clock stepped to real time %+d s".formatted(offset.toSeconds()));
    gw.stepClock(offset);
    clockOffset = offset.toMillis();
    long from = System.currentTimeMillis() + offset.toMillis();
    long to = from + BRIDGE_WINDOW.toMillis();
    await("a bridge sample stamped by the stepped clock accepted by the buffer")
        .atMost(RECOVERY)
        .pollInterval(Duration.ofMillis(500))
        .until(() ->
            gw.scalar(
                    "SELECT count(*) FROM fault_accepted a JOIN series s ON s.id = a.series_id"
                        + " WHERE s.device = '"
                        + FaultGateway.PLC
                        + "' AND a.ts BETWEEN to_timestamp("
                        + from / 1000.0
                        + ") AND to_timestamp("
                        + to / 1000.0
                        + ")")
                > 0);
    long step = writer.next();
    await("a bridge sample stamped by the stepped clock at the cloud")
        .atMost(RECOVERY)
        .pollInterval(Duration.ofMillis(200))
        .until(() -> cloud.bridgeSampleBetween(from, to));
    await("plant step " + step + " at the cloud after the clock step")
        .atMost(RECOVERY)
        .pollInterval(Duration.ofMillis(200))
        .until(() -> plantStepAtCloud(cloud) >= step || writer.failure() != null);
    for (ServiceProcess p : gw.services.values()) {
      assertThat(p.isAlive()).as(p.name() + " alive after the clock step").isTrue();
    }
  }

  private void note(String line) {
    log.add(line);
    System.out.println("faults: " + line);
  }
}
