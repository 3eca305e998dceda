package io.edgegw.contracts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TopicsTest {

  @Test
  void topicsFollowTheV1Contract() {
    assertThat(Topics.telemetry("plc-1")).isEqualTo("gw/v1/telemetry/plc-1");
    assertThat(Topics.alarm("hi")).isEqualTo("gw/v1/alarm/hi");
    assertThat(Topics.status("bridge")).isEqualTo("gw/v1/status/bridge");
    assertThat(Topics.command("bridge", "write")).isEqualTo("gw/v1/cmd/bridge/write");
    assertThat(Topics.reply("abc")).isEqualTo("gw/v1/reply/abc");
    assertThat(Topics.deadLetters("buffer")).isEqualTo("gw/v1/dlq/buffer");
    assertThat(Topics.TELEMETRY_ALL).isEqualTo("gw/v1/telemetry/+");
    assertThat(Topics.ALARM_EVENTS).isEqualTo("gw/v1/event/alarm");
    assertThat(Topics.ALARM_ALL).isEqualTo("gw/v1/alarm/+");
    assertThat(Topics.REPLY_ALL).isEqualTo("gw/v1/reply/+");
    assertThat(Topics.commandsTo("rules")).isEqualTo("gw/v1/cmd/rules/+");
    assertThat(Topics.event("tank-trip")).isEqualTo("gw/v1/event/tank-trip");
  }

  @Test
  void theAlarmEventTopicIsNotACustomEventName() {
    assertThatThrownBy(() -> Topics.event("alarm")).hasMessageContaining("reserved");
    assertThatThrownBy(() -> Topics.event("a/b")).hasMessageContaining("event name");
  }

  @Test
  void levelsWithWildcardsOrSeparatorsAreRejected() {
    assertThatThrownBy(() -> Topics.telemetry("a/b")).hasMessageContaining("deviceId");
    assertThatThrownBy(() -> Topics.telemetry("+")).hasMessageContaining("deviceId");
    assertThatThrownBy(() -> Topics.reply("#")).hasMessageContaining("commandId");
  }

  @Test
  void lastLevelExtractsTheDevice() {
    assertThat(Topics.lastLevel("gw/v1/telemetry/plc-1", "gw/v1/telemetry")).isEqualTo("plc-1");
    assertThatThrownBy(() -> Topics.lastLevel("gw/v1/status/x", "gw/v1/telemetry"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
