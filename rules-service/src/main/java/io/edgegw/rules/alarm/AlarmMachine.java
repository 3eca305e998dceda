package io.edgegw.rules.alarm;

import io.edgegw.contracts.AlarmEvent.Transition;
import java.time.Duration;
import java.util.Optional;

/**
 * The state of one alarm, driven by its rule's condition over time and by acknowledgements. Pure:
 * every call takes the time, so delays are tested with an injected clock.
 *
 * <pre>
 *  NORMAL --condition held onDelay--> ACTIVE_UNACKED            (RAISED)
 *  ACTIVE_UNACKED --ack--> ACTIVE_ACKED                         (ACKNOWLEDGED)
 *  ACTIVE_UNACKED --clear held offDelay--> CLEARED_UNACKED      (CLEARED)   not latching
 *  ACTIVE_ACKED --clear held offDelay--> NORMAL                 (CLEARED)
 *  CLEARED_UNACKED --ack--> NORMAL                              (ACKNOWLEDGED)
 *  CLEARED_UNACKED --condition held onDelay--> ACTIVE_UNACKED   (RAISED)
 *  latching: ACTIVE_UNACKED stays active when the condition clears; the ack then
 *  returns it to NORMAL                                         (RESET)
 * </pre>
 */
public final class AlarmMachine {

  /** Alarm states (ISA-18.2 names, simplified). */
  public enum State {
    NORMAL,
    ACTIVE_UNACKED,
    ACTIVE_ACKED,
    CLEARED_UNACKED;

    /** Whether the alarm counts as active. */
    public boolean active() {
      return this == ACTIVE_UNACKED || this == ACTIVE_ACKED;
    }

    /** Whether it has been acknowledged (a normal alarm has nothing to acknowledge). */
    public boolean acked() {
      return this == NORMAL || this == ACTIVE_ACKED;
    }
  }

  private final long onDelayMs;
  private final long offDelayMs;
  private final boolean latching;
  private State state = State.NORMAL;
  private long since;
  private boolean conditionClearWhileLatched;

  /** When the condition last changed to its current value and has stayed there, or -1. */
  private long pendingSince = -1;

  private boolean pendingCondition;

  public AlarmMachine(Duration onDelay, Duration offDelay, boolean latching) {
    this.onDelayMs = onDelay.toMillis();
    this.offDelayMs = offDelay.toMillis();
    this.latching = latching;
  }

  /** Restores a state published before a restart; no transition is produced. */
  public void restore(State restored, long restoredSince) {
    this.state = restored;
    this.since = restoredSince;
    this.pendingSince = -1;
  }

  public State state() {
    return state;
  }

  /** When the current state was entered, epoch ms. */
  public long since() {
    return since;
  }

  /**
   * Feeds the condition at time {@code now}; returns the transition it causes, if any. A condition
   * must hold for the on-delay (off-delay) before the alarm raises (clears); a condition that flips
   * back earlier restarts the wait.
   */
  public Optional<Transition> update(boolean condition, long now) {
    if (pendingSince < 0 || condition != pendingCondition) {
      pendingCondition = condition;
      pendingSince = now;
    }
    long held = now - pendingSince;
    switch (state) {
      case NORMAL, CLEARED_UNACKED -> {
        if (condition && held >= onDelayMs) {
          return enter(State.ACTIVE_UNACKED, now, Transition.RAISED);
        }
      }
      case ACTIVE_UNACKED -> {
        if (!condition && held >= offDelayMs) {
          if (latching) {
            conditionClearWhileLatched = true;
            return Optional.empty();
          }
          return enter(State.CLEARED_UNACKED, now, Transition.CLEARED);
        }
        if (condition) {
          conditionClearWhileLatched = false;
        }
      }
      case ACTIVE_ACKED -> {
        if (!condition && held >= offDelayMs) {
          return enter(State.NORMAL, now, Transition.CLEARED);
        }
      }
    }
    return Optional.empty();
  }

  /**
   * An operator's acknowledgement at {@code now}; returns its transition, if it changed anything.
   */
  public Optional<Transition> acknowledge(long now) {
    return switch (state) {
      case ACTIVE_UNACKED ->
          latching && conditionClearWhileLatched
              ? enter(State.NORMAL, now, Transition.RESET)
              : enter(State.ACTIVE_ACKED, now, Transition.ACKNOWLEDGED);
      case CLEARED_UNACKED -> enter(State.NORMAL, now, Transition.ACKNOWLEDGED);
      case NORMAL, ACTIVE_ACKED -> Optional.empty();
    };
  }

  private Optional<Transition> enter(State next, long now, Transition t) {
    state = next;
    since = now;
    conditionClearWhileLatched = false;
    return Optional.of(t);
  }
}
