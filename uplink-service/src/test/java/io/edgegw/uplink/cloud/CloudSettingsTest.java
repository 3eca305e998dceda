package io.edgegw.uplink.cloud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgegw.uplink.UplinkConfig.Protocol;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CloudSettingsTest {

  private static final Path CA = Path.of("/run/secrets/cloud-ca.pem");
  private static final Path CERT = Path.of("/run/secrets/gateway.pem");
  private static final Path KEY = Path.of("/run/secrets/gateway.key");

  @Test
  void defaultsTheClientIdAndDerivesTheStatusTopic() {
    CloudSettings settings = settings(List.of("TLSv1.3", "TLSv1.2"), Optional.of(KEY), null);
    assertThat(settings.clientId()).isEqualTo("gw-1");
    assertThat(settings.statusTopic()).isEqualTo("edgegw/gw-1/status");
  }

  @Test
  void refusesTlsOlderThan12() {
    assertThatThrownBy(() -> settings(List.of("TLSv1.2", "TLSv1.1"), Optional.of(KEY), null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "uplink.cloud.tls.protocols 'TLSv1.1' is not accepted; use TLSv1.3 and/or TLSv1.2"
                + " (nothing older)");
    assertThatThrownBy(() -> settings(List.of(), Optional.of(KEY), null))
        .hasMessageStartingWith("uplink.cloud.tls.protocols");
  }

  @Test
  void refusesACertificateWithoutItsKeyAndASessionWithoutCredentials() {
    assertThatThrownBy(() -> settings(List.of("TLSv1.3"), Optional.empty(), null))
        .hasMessageStartingWith("uplink.cloud.tls.key-file is required with");
    assertThatThrownBy(() ->
            new CloudSettings(
                "gw-1",
                "cloud.example",
                8883,
                Protocol.MQTT_5,
                "edgegw",
                null,
                Duration.ofSeconds(30),
                CA,
                Optional.empty(),
                Optional.empty(),
                List.of("TLSv1.3"),
                Optional.empty(),
                Optional.empty(),
                Duration.ofSeconds(1),
                Duration.ofMinutes(2)))
        .hasMessageContaining("needs a client certificate or a password");
  }

  @Test
  void refusesAMissingCaAndBackwardDelays() {
    assertThatThrownBy(() ->
            new CloudSettings(
                "gw-1",
                "cloud.example",
                8883,
                Protocol.MQTT_5,
                "edgegw",
                null,
                Duration.ofSeconds(30),
                null,
                Optional.of(CERT),
                Optional.of(KEY),
                List.of("TLSv1.3"),
                Optional.empty(),
                Optional.empty(),
                Duration.ofSeconds(1),
                Duration.ofMinutes(2)))
        .hasMessageContaining("there is no way to turn verification off");
    assertThatThrownBy(() ->
            new CloudSettings(
                "gw-1",
                "cloud.example",
                8883,
                Protocol.MQTT_5,
                "edgegw",
                null,
                Duration.ofSeconds(30),
                CA,
                Optional.of(CERT),
                Optional.of(KEY),
                List.of("TLSv1.3"),
                Optional.empty(),
                Optional.empty(),
                Duration.ofMinutes(5),
                Duration.ofMinutes(2)))
        .hasMessageStartingWith("uplink.cloud.reconnect.max-delay must be at least");
  }

  private static CloudSettings settings(List<String> protocols, Optional<Path> key, String id) {
    return new CloudSettings(
        "gw-1",
        "cloud.example",
        8883,
        Protocol.MQTT_5,
        "edgegw",
        id,
        Duration.ofSeconds(30),
        CA,
        Optional.of(CERT),
        key,
        protocols,
        Optional.empty(),
        Optional.empty(),
        Duration.ofSeconds(1),
        Duration.ofMinutes(2));
  }
}
