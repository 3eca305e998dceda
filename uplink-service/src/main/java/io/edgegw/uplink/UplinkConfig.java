package io.edgegw.uplink;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Settings of uplink-service ({@code uplink.*}). The edge store is {@code quarkus.datasource.*}.
 * Secrets (the cloud password, the gateway's private key, the bus password) are read from files or
 * the environment, never from this file, and never logged.
 */
@ConfigMapping(prefix = "uplink")
public interface UplinkConfig {

  /** This gateway's id: the second level of every cloud topic. Required; an MQTT topic level. */
  String gatewayId();

  /** The cloud MQTT session. */
  Cloud cloud();

  /** Reading the edge store's outbox. */
  Outbox outbox();

  /** The rate-limited backfill lane. */
  Backfill backfill();

  /** When the link counts as offline. */
  Offline offline();

  /** Commands from the cloud. */
  Commands commands();

  /** The local Mosquitto bus. */
  Bus bus();

  /** The retained status on {@code gw/v1/status/uplink}. */
  StatusReport status();

  /** Cloud session settings. */
  interface Cloud {
    /** Cloud broker host; the TLS host name is checked against it. Required. */
    String host();

    /** Cloud broker port. Default {@code 8883}. */
    @WithDefault("8883")
    int port();

    /** {@code MQTT_5} (default) or {@code MQTT_3_1_1}. */
    @WithDefault("MQTT_5")
    Protocol protocol();

    /**
     * First level of every cloud topic: {@code {prefix}/{gatewayId}/...}. Default {@code edgegw}.
     */
    @WithDefault("edgegw")
    String topicPrefix();

    /** MQTT client id; default: the gateway id. */
    Optional<String> clientId();

    /** MQTT keep-alive. Default {@code 30s}. */
    @WithDefault("30s")
    Duration keepAlive();

    /** TLS: always on; there is no setting that turns verification off. */
    Tls tls();

    /** Username for password authentication (instead of, or with, a client certificate). */
    Optional<String> username();

    /** File holding the password (mode 0600); read at start, never logged. */
    Optional<Path> passwordFile();

    /** Reconnect backoff: exponential with jitter between these bounds. */
    Reconnect reconnect();
  }

  /** The MQTT protocol version of the cloud session. */
  enum Protocol {
    MQTT_5,
    MQTT_3_1_1
  }

  /** TLS settings. */
  interface Tls {
    /** PEM file of the CA certificate(s) the cloud broker's chain must lead to. Required. */
    Path caFile();

    /** PEM certificate (chain) of this gateway, for mTLS; with {@code key-file}. */
    Optional<Path> certFile();

    /** PEM private key of this gateway (PKCS#8, mode 0600), for mTLS; with {@code cert-file}. */
    Optional<Path> keyFile();

    /** Protocol versions offered. Default {@code TLSv1.3,TLSv1.2}; nothing older is accepted. */
    @WithDefault("TLSv1.3,TLSv1.2")
    List<String> protocols();
  }

  /** Reconnect settings. */
  interface Reconnect {
    /** First delay. Default {@code 1s}. */
    @WithDefault("1s")
    Duration initialDelay();

    /** Largest delay. Default {@code 2m}. */
    @WithDefault("2m")
    Duration maxDelay();
  }

  /** Outbox reading. */
  interface Outbox {
    /** This consumer's name in {@code outbox_position} and {@code outbox_delivered}. */
    @WithDefault("cloud")
    String consumer();

    /** Samples per live message. Default {@code 500}. */
    @WithDefault("500")
    int liveSamplesPerMessage();

    /** How often the live lane looks for new rows. Default {@code 1s}. */
    @WithDefault("1s")
    Duration livePollInterval();

    /**
     * Messages published and not yet acknowledged, across both lanes; also bounded by the broker's
     * Receive Maximum. Default {@code 32}.
     */
    @WithDefault("32")
    int inFlight();
  }

  /** Backfill lane settings. */
  interface Backfill {
    /** Token bucket: messages per second. Default {@code 20}. */
    @WithDefault("20")
    int messagesPerSecond();

    /** Token bucket: payload bytes per second. Default {@code 1048576}. */
    @WithDefault("1048576")
    long bytesPerSecond();

    /** Samples per backfill message. Default {@code 5000}. */
    @WithDefault("5000")
    int samplesPerMessage();

    /** Backfill payloads larger than this are gzip-compressed. Default {@code 16384} bytes. */
    @WithDefault("16384")
    int compressAbove();
  }

  /** Offline detection. */
  interface Offline {
    /**
     * The link is offline when nothing published was acknowledged by the cloud for this long while
     * there was something to acknowledge, or the session is down for this long. Default {@code
     * 30s}.
     */
    @WithDefault("30s")
    Duration after();
  }

  /** Commands from the cloud. */
  interface Commands {
    /**
     * Target.verb pairs relayed to the local bus. Default {@code
     * bridge.write,rules.ack,ota.deploy,ota.restart,ota.artifact,buffer.export}: the handover's
     * remote update, restart and data export, and device artifacts.
     */
    @WithDefault("bridge.write,rules.ack,ota.deploy,ota.restart,ota.artifact,buffer.export")
    List<String> allowed();

    /** Token bucket: commands per second. Default {@code 5}. */
    @WithDefault("5")
    int perSecond();

    /** Token bucket: burst. Default {@code 10}. */
    @WithDefault("10")
    int burst();

    /** How long to wait for the local reply before answering the cloud with a timeout. */
    @WithDefault("10s")
    Duration replyTimeout();

    /** Targets whose commands run long (an update): they get {@link #longReplyTimeout()}. */
    @WithDefault("ota")
    List<String> longRunning();

    /**
     * For {@link #longRunning()} targets, how long the next reply (a progress reply or the result)
     * may take. Default {@code 15m}: pulling the images of an update and its health gate.
     */
    @WithDefault("15m")
    Duration longReplyTimeout();
  }

  /** Local bus settings. */
  interface Bus {
    /** Local Mosquitto host. Default {@code 127.0.0.1}. */
    @WithDefault("127.0.0.1")
    String host();

    /** Local Mosquitto port. Default {@code 1883}. */
    @WithDefault("1883")
    int port();

    /** Broker user. Default {@code uplink}. */
    @WithDefault("uplink")
    String username();

    /** Broker password; no default (0600 properties file or {@code UPLINK_BUS_PASSWORD}). */
    String password();

    /** MQTT client id (clean session). Default {@code gw-uplink}. */
    @WithDefault("gw-uplink")
    String clientId();
  }

  /** Status settings. */
  interface StatusReport {
    /** How often the retained status is refreshed. Default {@code 5s}. */
    @WithDefault("5s")
    Duration interval();
  }
}
