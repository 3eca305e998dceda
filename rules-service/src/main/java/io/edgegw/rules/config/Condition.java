package io.edgegw.rules.config;

import dev.cel.runtime.CelRuntime;
import io.edgegw.contracts.Quality;
import io.edgegw.rules.alarm.Threshold;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** What makes a rule's alarm active. Each rule has exactly one. */
public sealed interface Condition {

  /** The tags whose samples can change the condition. */
  List<TagRef> inputs();

  /** Placeholders every rule's message may use. */
  Set<String> COMMON = Set.of("id", "severity");

  /** Placeholders of rules on a single tag. */
  Set<String> SINGLE_TAG = Set.of("id", "severity", "device", "tag", "value");

  /** The placeholders a message of a rule with this condition may use. */
  Set<String> placeholders();

  /** A numeric tag beyond a limit (hi, hihi, lo, lolo) with hysteresis. */
  record Above(TagRef tag, Threshold threshold) implements Condition {
    @Override
    public Set<String> placeholders() {
      return plus(SINGLE_TAG, "limit", "hysteresis");
    }

    @Override
    public List<TagRef> inputs() {
      return List.of(tag);
    }
  }

  /** A numeric tag changing faster than {@code perSecond} units per second, either way. */
  record Rate(TagRef tag, double perSecond) implements Condition {
    @Override
    public Set<String> placeholders() {
      return plus(SINGLE_TAG, "rate", "perSecond");
    }

    @Override
    public List<TagRef> inputs() {
      return List.of(tag);
    }
  }

  /** No sample of the tag (of any quality) for {@code after}. */
  record Stale(TagRef tag, Duration after) implements Condition {
    @Override
    public Set<String> placeholders() {
      return plus(SINGLE_TAG, "after");
    }

    @Override
    public List<TagRef> inputs() {
      return List.of(tag);
    }
  }

  /** The tag's last sample has one of the {@code bad} qualities. */
  record BadQuality(TagRef tag, Set<Quality> bad) implements Condition {
    @Override
    public Set<String> placeholders() {
      return plus(SINGLE_TAG, "quality");
    }

    @Override
    public List<TagRef> inputs() {
      return List.of(tag);
    }
  }

  /**
   * A CEL expression over named inputs, compiled at load time to a boolean program.
   *
   * @param source the expression as written
   * @param variables variable name to the tag it stands for, in file order
   * @param program the compiled program
   */
  record Expression(String source, Map<String, TagRef> variables, CelRuntime.Program program)
      implements Condition {
    @Override
    public List<TagRef> inputs() {
      return List.copyOf(variables.values());
    }

    /** The common placeholders and one per variable (its last value). */
    @Override
    public Set<String> placeholders() {
      return plus(COMMON, variables.keySet().toArray(String[]::new));
    }
  }

  private static Set<String> plus(Set<String> base, String... more) {
    Set<String> all = new java.util.HashSet<>(base);
    all.addAll(List.of(more));
    return Set.copyOf(all);
  }
}
