package io.edgegw.uplink.cloud;

import io.edgegw.uplink.UplinkConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Everything the cloud session needs, validated: built from {@link UplinkConfig} by {@link
 * #from(String, UplinkConfig.Cloud)}, or directly by tests. Holds file paths, never secrets.
 *
 * @param gatewayId this gateway's id, a topic level
 * @param host the cloud broker's host; the TLS host name is checked against it
 * @param port the cloud broker's port
 * @param protocol MQTT 5 or 3.1.1
 * @param topicPrefix the first level of every cloud topic
 * @param clientId the MQTT client id
 * @param keepAlive MQTT keep-alive, 1 s to 65535 s
 * @param caFile PEM CA certificate(s) the broker's chain must lead to; nothing else is trusted
 * @param certFile PEM certificate (chain) of this gateway, for mTLS; with {@code keyFile}
 * @param keyFile PKCS#8 PEM private key (EC or RSA) of this gateway; with {@code certFile}
 * @param tlsProtocols TLS versions offered: {@code TLSv1.3} and/or {@code TLSv1.2}
 * @param username user name for password authentication; with {@code passwordFile}
 * @param passwordFile file holding the password; with {@code username}
 * @param initialDelay first reconnect delay
 * @param maxDelay largest reconnect delay
 */
public record CloudSettings(
    String gatewayId,
    String host,
    int port,
    UplinkConfig.Protocol protocol,
    String topicPrefix,
    String clientId,
    Duration keepAlive,
    Path caFile,
    Optional<Path> certFile,
    Optional<Path> keyFile,
    List<String> tlsProtocols,
    Optional<String> username,
    Optional<Path> passwordFile,
    Duration initialDelay,
    Duration maxDelay) {

  /** TLS versions that may be offered; anything older is refused. */
  public static final Set<String> ACCEPTED_TLS_PROTOCOLS = Set.of("TLSv1.3", "TLSv1.2");

  private static final Pattern TOPIC_LEVEL = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

  public CloudSettings {
    gatewayId = topicLevel(gatewayId, "uplink.gateway-id");
    topicPrefix = topicLevel(topicPrefix, "uplink.cloud.topic-prefix");
    if (host == null || host.isBlank()) {
      throw invalid("uplink.cloud.host", "is required: the cloud broker's host name");
    }
    if (port < 1 || port > 65535) {
      throw invalid("uplink.cloud.port", "must be 1-65535, got " + port);
    }
    if (protocol == null) {
      throw invalid("uplink.cloud.protocol", "must be MQTT_5 or MQTT_3_1_1");
    }
    if (clientId == null || clientId.isBlank()) {
      clientId = gatewayId;
    }
    if (keepAlive == null || keepAlive.toSeconds() < 1 || keepAlive.toSeconds() > 65535) {
      throw invalid("uplink.cloud.keep-alive", "must be 1s to 65535s, got " + keepAlive);
    }
    if (caFile == null) {
      throw invalid(
          "uplink.cloud.tls.ca-file",
          "is required: the PEM CA certificate(s) of the cloud broker; there is no way to turn"
              + " verification off");
    }
    certFile = certFile == null ? Optional.empty() : certFile;
    keyFile = keyFile == null ? Optional.empty() : keyFile;
    if (certFile.isPresent() != keyFile.isPresent()) {
      throw invalid(
          certFile.isPresent() ? "uplink.cloud.tls.key-file" : "uplink.cloud.tls.cert-file",
          "is required with "
              + (certFile.isPresent() ? "uplink.cloud.tls.cert-file" : "uplink.cloud.tls.key-file")
              + ": mTLS needs both the certificate and its private key");
    }
    if (tlsProtocols == null || tlsProtocols.isEmpty()) {
      throw invalid("uplink.cloud.tls.protocols", "must list TLSv1.3 and/or TLSv1.2");
    }
    for (String offered : tlsProtocols) {
      if (!ACCEPTED_TLS_PROTOCOLS.contains(offered)) {
        throw invalid(
            "uplink.cloud.tls.protocols",
            "'" + offered + "' is not accepted; use TLSv1.3 and/or TLSv1.2 (nothing older)");
      }
    }
    tlsProtocols = List.copyOf(tlsProtocols);
    username = username == null ? Optional.empty() : username;
    passwordFile = passwordFile == null ? Optional.empty() : passwordFile;
    if (passwordFile.isPresent() && username.isEmpty()) {
      throw invalid("uplink.cloud.username", "is required with uplink.cloud.password-file");
    }
    if (username.isEmpty() && certFile.isEmpty()) {
      throw invalid(
          "uplink.cloud.tls.cert-file",
          "or uplink.cloud.username with uplink.cloud.password-file is required: the session"
              + " needs a client certificate or a password");
    }
    if (initialDelay == null || initialDelay.isNegative() || initialDelay.isZero()) {
      throw invalid("uplink.cloud.reconnect.initial-delay", "must be positive");
    }
    if (maxDelay == null || maxDelay.compareTo(initialDelay) < 0) {
      throw invalid(
          "uplink.cloud.reconnect.max-delay",
          "must be at least uplink.cloud.reconnect.initial-delay (" + initialDelay + ")");
    }
  }

  /** The settings of {@code uplink.cloud.*}. */
  public static CloudSettings from(String gatewayId, UplinkConfig.Cloud cloud) {
    return new CloudSettings(
        gatewayId,
        cloud.host(),
        cloud.port(),
        cloud.protocol(),
        cloud.topicPrefix(),
        cloud.clientId().orElse(gatewayId),
        cloud.keepAlive(),
        cloud.tls().caFile(),
        cloud.tls().certFile(),
        cloud.tls().keyFile(),
        cloud.tls().protocols(),
        cloud.username(),
        cloud.passwordFile(),
        cloud.reconnect().initialDelay(),
        cloud.reconnect().maxDelay());
  }

  /**
   * {@code {prefix}/{gatewayId}/status}: retained ONLINE after connecting, OFFLINE as last will.
   */
  public String statusTopic() {
    return topicPrefix + "/" + gatewayId + "/status";
  }

  private static String topicLevel(String value, String key) {
    if (value == null || !TOPIC_LEVEL.matcher(value).matches()) {
      throw invalid(key, "must be 1-64 characters of [A-Za-z0-9_.-], got '" + value + "'");
    }
    return value;
  }

  private static IllegalArgumentException invalid(String key, String problem) {
    return new IllegalArgumentException(key + " " + problem);
  }
}
