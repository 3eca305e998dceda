package io.edgegw.rules.config;

import io.edgegw.contracts.AlarmEvent.Transition;
import java.time.Duration;

/** What a rule does when its alarm makes a transition. */
public sealed interface Action {

  /** The transition that triggers the action. */
  Transition on();

  /**
   * A write to a device through the bridge's write command ({@code gw/v1/cmd/bridge/write}).
   *
   * @param target a writable tag
   * @param value the value to write: Boolean, Long, Double or String, matching the tag's type
   * @param timeout how long to wait for the bridge's reply to one attempt
   * @param retries further attempts after a failed or unanswered one
   * @param retryDelay the wait before each further attempt
   */
  record Interlock(
      Transition on,
      TagRef target,
      Object value,
      Duration timeout,
      int retries,
      Duration retryDelay)
      implements Action {}

  /** A custom event on {@code gw/v1/event/{name}}. */
  record Event(Transition on, String name) implements Action {}
}
