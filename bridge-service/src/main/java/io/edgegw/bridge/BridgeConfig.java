package io.edgegw.bridge;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;

/** Service settings of bridge-service ({@code bridge.*}); devices live in {@code devices.yaml}. */
@ConfigMapping(prefix = "bridge")
public interface BridgeConfig {

  /** Path of the device and tag map. Default {@code /etc/gateway/devices.yaml}. */
  @WithDefault("/etc/gateway/devices.yaml")
  Path devicesFile();

  /** Connection to the local Mosquitto bus. */
  Bus bus();

  /** The bounded queue that holds batches while the broker is unreachable. */
  Queue queue();

  /** Retry of unreachable devices. */
  Retry retry();

  /** The retained status on {@code gw/v1/status/bridge}. */
  StatusReport status();

  /** Local bus settings. */
  interface Bus {
    /** Broker host. Default {@code 127.0.0.1}. */
    @WithDefault("127.0.0.1")
    String host();

    /** Broker port. Default {@code 1883}. */
    @WithDefault("1883")
    int port();

    /** Broker user of this service. Default {@code bridge}. */
    @WithDefault("bridge")
    String username();

    /**
     * Broker password; no default. Provision it into a 0600 properties file named by {@code
     * quarkus.config.locations}, or the environment variable {@code BRIDGE_BUS_PASSWORD}.
     */
    String password();

    /** MQTT client id of the telemetry publisher. Default {@code gw-bridge}. */
    @WithDefault("gw-bridge")
    String clientId();

    /** MQTT keep-alive. Default {@code 30s}. */
    @WithDefault("30s")
    Duration keepAlive();

    /** Most QoS 1 publishes awaiting PUBACK at once. Default {@code 32}. */
    @WithDefault("32")
    int inflight();
  }

  /** Publish queue settings. */
  interface Queue {
    /**
     * Bound of the publish queue, waiting plus in flight, e.g. {@code 64M}. Default {@code 64M}.
     */
    @WithDefault("64M")
    MemorySize maxSize();
  }

  /** Device retry settings. */
  interface Retry {
    /** Pause after the first failed poll of a device. Default {@code 1s}. */
    @WithDefault("1s")
    Duration initial();

    /** Longest pause between attempts. Default {@code 60s}. */
    @WithDefault("60s")
    Duration max();

    /** Relative random spread of each pause, 0..1. Default {@code 0.2}. */
    @WithDefault("0.2")
    double jitter();
  }

  /** Status report settings. */
  interface StatusReport {
    /** How often the retained status is refreshed. Default {@code 15s}. */
    @WithDefault("15s")
    Duration interval();
  }
}
