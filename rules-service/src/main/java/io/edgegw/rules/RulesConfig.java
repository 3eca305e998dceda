package io.edgegw.rules;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;

/** Settings of rules-service ({@code rules.*}). The rules themselves are in {@code rules.yaml}. */
@ConfigMapping(prefix = "rules")
public interface RulesConfig {

  /** The rule file. Default {@code /etc/gateway/rules.yaml}. */
  @WithDefault("/etc/gateway/rules.yaml")
  Path rulesFile();

  /**
   * devices.yaml, for the tags rules may name, their types and which are writable. Default {@code
   * /etc/gateway/devices.yaml}.
   */
  @WithDefault("/etc/gateway/devices.yaml")
  Path devicesFile();

  /**
   * How often on- and off-delays and stale tags are checked between samples; bounds how late a
   * delayed alarm or a stale alarm can fire. Default {@code 100ms}.
   */
  @WithDefault("100ms")
  Duration tickInterval();

  /** Connection to the local Mosquitto bus. */
  Bus bus();

  /** The retained status on {@code gw/v1/status/rules}. */
  StatusReport status();

  /** Local bus settings. */
  interface Bus {
    /** Broker host. Default {@code 127.0.0.1}. */
    @WithDefault("127.0.0.1")
    String host();

    /** Broker port. Default {@code 1883}. */
    @WithDefault("1883")
    int port();

    /** Broker user of this service. Default {@code rules}. */
    @WithDefault("rules")
    String username();

    /**
     * Broker password; no default. Provision it into a 0600 properties file named by {@code
     * quarkus.config.locations}, or the environment variable {@code RULES_BUS_PASSWORD}.
     */
    String password();

    /** MQTT client id. Default {@code gw-rules}. */
    @WithDefault("gw-rules")
    String clientId();

    /** MQTT keep-alive. Default {@code 30s}. */
    @WithDefault("30s")
    Duration keepAlive();

    /** Largest telemetry or command payload accepted. Default {@code 1048576} bytes. */
    @WithDefault("1048576")
    int maxPayload();
  }

  /** Status settings. */
  interface StatusReport {
    /** How often the retained status is refreshed. Default {@code 10s}. */
    @WithDefault("10s")
    Duration interval();
  }
}
