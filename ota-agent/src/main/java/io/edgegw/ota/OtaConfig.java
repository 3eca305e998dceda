package io.edgegw.ota;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Settings of the ota-agent ({@code ota.*}). The agent runs on the host, outside the stack it
 * manages. Secrets (the bus password, the management token) come from 0600 files or the
 * environment, never from this file, and are never logged.
 */
@ConfigMapping(prefix = "ota")
public interface OtaConfig {

  /** Where the agent keeps the installed bundles, their history and the update journal. */
  @WithDefault("/var/lib/edgegw/ota")
  Path stateDir();

  /** Bundles kept in the history, the installed one included. Default {@code 5}. */
  @WithDefault("5")
  int historySize();

  /** The OCI registry the bundles and images come from. */
  Registry registry();

  /**
   * The bundle to install on the first boot, when none is installed yet: {@code repository:tag} or
   * {@code repository@sha256:...} in {@link Registry#url()}. It is verified and applied as any
   * update (see {@link io.edgegw.ota.update.FirstBoot}). Default: none.
   */
  Optional<String> bootstrap();

  /** Trust anchors: Ed25519 public keys a bundle's signature must verify against. */
  Trust trust();

  /** podman and podman-compose. */
  Stack stack();

  /** The health gate after an update is applied. */
  HealthGate healthGate();

  /** The local Mosquitto bus. */
  Bus bus();

  /** The periodic gateway health aggregate. */
  Health health();

  /** The local management page. */
  Web web();

  /** Host reboot: the command run for {@code gw/v1/cmd/ota/reboot}. */
  Reboot reboot();

  /** Files for local devices (firmware, models) and the OT-side server that hands them out. */
  Artifacts artifacts();

  /** Registry settings. */
  interface Registry {
    /**
     * Base URI of the registry, e.g. {@code https://registry.example:5000}. Required. Plain {@code
     * http} is refused: the agent talks TLS only, verified against the system trust store or {@code
     * ca-file}.
     */
    String url();

    /**
     * PEM CA certificate of a local registry whose certificate no system CA signed. podman gets it
     * as {@code --cert-dir}. Default: none (the system trust store).
     */
    Optional<Path> caFile();

    /** First retry delay when the registry does not answer. Default {@code 2s}. */
    @WithDefault("2s")
    Duration retryInitial();

    /** Largest retry delay. Default {@code 2m}. */
    @WithDefault("2m")
    Duration retryMax();

    /** How long an update keeps retrying an unreachable registry. Default {@code 30m}. */
    @WithDefault("30m")
    Duration retryFor();
  }

  /** Trust anchors. */
  interface Trust {
    /**
     * Files of trusted Ed25519 public keys (PEM or X.509 DER). Default {@code
     * /etc/edgegw/ota/trusted.pem}.
     */
    @WithDefault("/etc/edgegw/ota/trusted.pem")
    List<Path> keys();
  }

  /** How the stack is run. */
  interface Stack {
    /** Compose project name of the gateway stack. Default {@code edgegw}. */
    @WithDefault("edgegw")
    String project();

    /** The podman program. Default {@code podman}. */
    @WithDefault("podman")
    String podman();

    /** The podman-compose program. Default {@code podman-compose}. */
    @WithDefault("podman-compose")
    String podmanCompose();

    /**
     * containers.conf passed to podman as {@code CONTAINERS_CONF}. Default {@code
     * /etc/edgegw/containers.conf}; absent means podman's own configuration.
     */
    @WithDefault("/etc/edgegw/containers.conf")
    Path containersConf();

    /** Longest a single podman or podman-compose call may take. Default {@code 5m}. */
    @WithDefault("5m")
    Duration commandTimeout();
  }

  /** Health gate settings. */
  interface HealthGate {
    /**
     * How long every service must stay healthy before an update is committed. Default {@code 30s}.
     */
    @WithDefault("30s")
    Duration window();

    /** How long the gate waits for that in all before it rolls back. Default {@code 3m}. */
    @WithDefault("3m")
    Duration timeout();

    /** Time between two probes. Default {@code 1s}. */
    @WithDefault("1s")
    Duration interval();
  }

  /** Local bus settings. */
  interface Bus {
    /** Broker host. Default {@code 127.0.0.1}. */
    @WithDefault("127.0.0.1")
    String host();

    /** Broker port. Default {@code 1883}. */
    @WithDefault("1883")
    int port();

    /** Broker user of the agent. Default {@code ota}. */
    @WithDefault("ota")
    String username();

    /** Broker password; no default (0600 properties file or {@code OTA_BUS_PASSWORD}). */
    String password();

    /** MQTT client id. Default {@code gw-ota}. */
    @WithDefault("gw-ota")
    String clientId();
  }

  /** Gateway health aggregate. */
  interface Health {
    /** Period of {@code gw/v1/status/gateway}. Default {@code 30s}. */
    @WithDefault("30s")
    Duration interval();

    /** File system whose usage is reported. Default {@code /}. */
    @WithDefault("/")
    Path disk();

    /** The proc file system read for memory and CPU. Default {@code /proc}. */
    @WithDefault("/proc")
    Path proc();
  }

  /** Management page settings. */
  interface Web {
    /**
     * File holding the login token (mode 0600, at least 16 characters). Default {@code
     * /etc/edgegw/ota/web-token}. Without the file the page refuses every login.
     */
    @WithDefault("/etc/edgegw/ota/web-token")
    Path tokenFile();

    /** How long a login lasts. Default {@code 30m}. */
    @WithDefault("30m")
    Duration sessionTtl();

    /**
     * Link to the buffer's data export, shown on the page. Default {@code
     * http://127.0.0.1:8082/api/v1/export}.
     */
    @WithDefault("http://127.0.0.1:8082/api/v1/export")
    String exportUrl();
  }

  /** Host reboot. */
  interface Reboot {
    /**
     * Command (program and arguments) run on a reboot command. Default {@code systemctl reboot}.
     */
    @WithDefault("systemctl,reboot")
    List<String> command();
  }

  /** Device artifacts: signed files from the registry, served to OT-side devices over HTTP. */
  interface Artifacts {
    /**
     * {@code host:port} of the OT interface the artifact server listens on, an IP literal ({@code
     * [v6]:port} for IPv6); a wildcard address is refused. Default: none, the server is off (the
     * {@code artifact} command still stores artifacts).
     */
    Optional<String> listen();

    /**
     * Known devices: {@code ota.artifacts.devices.<id>=<address>}, the device's source address on
     * the OT network, or {@code any} when it is identified by {@code ?device=<id>} alone. Default:
     * none, every download is refused.
     */
    Map<String, String> devices();

    /**
     * Largest artifact accepted from the registry (held in memory while verified). Default {@code
     * 64M}.
     */
    @WithDefault("64M")
    MemorySize maxSize();

    /** Versions kept per artifact name, the served one included. Default {@code 3}. */
    @WithDefault("3")
    int keep();

    /** Downloads served at the same time; more wait. Default {@code 8}. */
    @WithDefault("8")
    int maxConcurrent();

    /**
     * Longest one response may take before the connection is closed (a device that stops reading
     * holds a thread until then). Default {@code 30m}.
     */
    @WithDefault("30m")
    Duration responseTimeout();
  }
}
