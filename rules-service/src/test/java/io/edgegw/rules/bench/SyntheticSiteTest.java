package io.edgegw.rules.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgegw.contracts.AlarmEvent.Transition;
import io.edgegw.contracts.SampleBatch;
import io.edgegw.rules.config.DeviceCatalog;
import io.edgegw.rules.config.RuleSet;
import io.edgegw.rules.config.RulesConfigLoader;
import io.edgegw.rules.engine.Outcome;
import io.edgegw.rules.engine.RuleEngine;
import io.edgegw.testsupport.bench.PacedPublisher;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The processing benchmark's generated site is valid for the loaders, and its stream makes every
 * kind of rule raise and clear: a benchmark whose rules never fired would measure nothing.
 */
class SyntheticSiteTest {
  static final int DEVICES = 40;
  static final int TAGS = 100;
  static final int RULES = 40;

  @Test
  void theFilesLoadAndEveryKindOfRuleRaisesAndClearsOnTheStream() throws Exception {
    SyntheticSite site = new SyntheticSite(DEVICES, TAGS, RULES);
    DeviceCatalog catalog =
        DeviceCatalog.parse("devices.yaml", new StringReader(site.devicesYaml()));
    RuleSet rules =
        RulesConfigLoader.parse("rules.yaml", new StringReader(site.rulesYaml()), catalog);
    assertThat(rules.rules()).hasSize(RULES);
    assertThat(site.mix())
        .containsEntry("threshold", 28)
        .containsEntry("rate", 4)
        .containsEntry("stale", 2)
        .containsEntry("quality", 2)
        .containsEntry("expression", 4);

    // 150 s of the stream as the publisher sends it (each device once a second), ticked every
    // 100 ms as the service does.
    long start = 1_800_000_000_000L;
    RuleEngine engine = new RuleEngine(rules, start);
    Map<String, List<Transition>> seen = new HashMap<>();
    List<Outcome> out = new ArrayList<>();
    long[] seq = new long[DEVICES];
    for (long now = start; now < start + 150_000; now += 100) {
      if (now % 1000 == 0) {
        for (int d = 0; d < DEVICES; d++) {
          long t = now + d; // devices spread over the second, as by the paced publisher
          engine.onBatch(
              SampleBatch.of(PacedPublisher.deviceId(d), seq[d]++, site.of(d, t), 0), t, out::add);
        }
      }
      engine.tick(now, out::add);
    }
    out.forEach(o ->
        seen.computeIfAbsent(kind(o.rule().id()), k -> new ArrayList<>())
            .add(o.event().transition()));

    assertThat(engine.faulted()).isEmpty();
    for (String kind : Set.of("threshold", "rate", "stale", "quality", "expression")) {
      assertThat(seen.get(kind)).as(kind).contains(Transition.RAISED, Transition.CLEARED);
    }
  }

  @Test
  void aBatchHoldsEveryTagButAStaleRulesTagInItsGap() {
    SyntheticSite site = new SyntheticSite(DEVICES, TAGS, RULES);
    int staleDevice = 16; // rule 16 is the first stale rule
    long sizes =
        java.util.stream.LongStream.range(0, SyntheticSite.STALE_CYCLE_S)
            .filter(s -> site.of(staleDevice, 1_800_000_000_000L + s * 1000).size() == TAGS - 1)
            .count();

    assertThat(site.of(0, 1_800_000_000_000L)).hasSize(TAGS);
    assertThat(sizes).isEqualTo(SyntheticSite.STALE_GAP_S);
  }

  private static String kind(String ruleId) {
    return SyntheticSite.Kind.of(Integer.parseInt(ruleId.substring(1))).name().toLowerCase();
  }
}
