package io.edgegw.rules.alarm;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgegw.contracts.AlarmEvent.Transition;
import io.edgegw.rules.alarm.AlarmMachine.State;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The alarm state machine with explicit times (the injected clock of the service). */
class AlarmMachineTest {

  static AlarmMachine machine(long onMs, long offMs, boolean latching) {
    return new AlarmMachine(Duration.ofMillis(onMs), Duration.ofMillis(offMs), latching);
  }

  @Test
  void raisesAcknowledgesAndClears() {
    AlarmMachine m = machine(0, 0, false);
    assertThat(m.update(false, 0)).isEmpty();
    assertThat(m.update(true, 100)).contains(Transition.RAISED);
    assertThat(m.state()).isEqualTo(State.ACTIVE_UNACKED);
    assertThat(m.since()).isEqualTo(100);
    assertThat(m.update(true, 200)).isEmpty();
    assertThat(m.acknowledge(300)).contains(Transition.ACKNOWLEDGED);
    assertThat(m.state()).isEqualTo(State.ACTIVE_ACKED);
    assertThat(m.acknowledge(310)).isEmpty();
    assertThat(m.update(false, 400)).contains(Transition.CLEARED);
    assertThat(m.state()).isEqualTo(State.NORMAL);
  }

  @Test
  void aClearBeforeTheAcknowledgementWaitsForIt() {
    AlarmMachine m = machine(0, 0, false);
    m.update(true, 0);
    assertThat(m.update(false, 10)).contains(Transition.CLEARED);
    assertThat(m.state()).isEqualTo(State.CLEARED_UNACKED);
    assertThat(m.state().active()).isFalse();
    assertThat(m.state().acked()).isFalse();
    assertThat(m.acknowledge(20)).contains(Transition.ACKNOWLEDGED);
    assertThat(m.state()).isEqualTo(State.NORMAL);
  }

  @Test
  void aConditionReturningBeforeTheAcknowledgementRaisesAgain() {
    AlarmMachine m = machine(0, 0, false);
    m.update(true, 0);
    m.update(false, 10);
    assertThat(m.update(true, 20)).contains(Transition.RAISED);
    assertThat(m.state()).isEqualTo(State.ACTIVE_UNACKED);
  }

  @Test
  void theOnDelayNeedsTheConditionToHoldWithoutInterruption() {
    AlarmMachine m = machine(1000, 0, false);
    assertThat(m.update(true, 0)).isEmpty();
    assertThat(m.update(true, 999)).isEmpty();
    assertThat(m.update(false, 999)).isEmpty(); // interrupted: the wait starts again
    assertThat(m.update(true, 1500)).isEmpty();
    assertThat(m.update(true, 2499)).isEmpty();
    assertThat(m.update(true, 2500)).contains(Transition.RAISED);
    assertThat(m.since()).isEqualTo(2500);
  }

  @Test
  void theOffDelayKeepsAShortDipFromClearing() {
    AlarmMachine m = machine(0, 500, false);
    m.update(true, 0);
    m.acknowledge(1);
    assertThat(m.update(false, 100)).isEmpty();
    assertThat(m.update(true, 400)).isEmpty(); // came back within the off-delay
    assertThat(m.update(false, 500)).isEmpty();
    assertThat(m.update(false, 999)).isEmpty();
    assertThat(m.update(false, 1000)).contains(Transition.CLEARED);
  }

  @Test
  void aLatchingAlarmStaysActiveUntilAcknowledgedThenResets() {
    AlarmMachine m = machine(0, 0, true);
    m.update(true, 0);
    assertThat(m.update(false, 10)).isEmpty();
    assertThat(m.state()).isEqualTo(State.ACTIVE_UNACKED);
    assertThat(m.acknowledge(20)).contains(Transition.RESET);
    assertThat(m.state()).isEqualTo(State.NORMAL);
  }

  @Test
  void aLatchingAlarmAcknowledgedWhileTheConditionHoldsClearsNormally() {
    AlarmMachine m = machine(0, 0, true);
    m.update(true, 0);
    m.update(false, 5);
    m.update(true, 6); // active again before the ack: the latch is moot
    assertThat(m.acknowledge(10)).contains(Transition.ACKNOWLEDGED);
    assertThat(m.update(false, 20)).contains(Transition.CLEARED);
  }

  @Test
  void aRestoredActiveAlarmIsNotRaisedAgain() {
    AlarmMachine m = machine(0, 0, false);
    m.restore(State.ACTIVE_ACKED, 42);
    assertThat(m.update(true, 100)).isEqualTo(Optional.empty());
    assertThat(m.since()).isEqualTo(42);
    assertThat(m.update(false, 200)).contains(Transition.CLEARED);
  }
}
