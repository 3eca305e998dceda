package io.edgegw.buffer;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;

/** Settings of buffer-service ({@code buffer.*}). The database is {@code quarkus.datasource.*}. */
@ConfigMapping(prefix = "buffer")
public interface BufferConfig {

  /** Connection to the local Mosquitto bus. */
  Bus bus();

  /** The ingest writer. */
  Ingest ingest();

  /** Retention, disk quota and maintenance. */
  Store store();

  /** The query API. */
  Api api();

  /** The retained status on {@code gw/v1/status/buffer}. */
  StatusReport status();

  /** The bus export ({@code gw/v1/cmd/buffer/export}, relayed from the cloud by uplink). */
  Export export();

  /**
   * devices.yaml, read only for the unit of each tag (the bridge validates the file). Default
   * {@code /etc/gateway/devices.yaml}; a missing file leaves units empty.
   */
  @WithDefault("/etc/gateway/devices.yaml")
  Path devicesFile();

  /** Local bus settings. */
  interface Bus {
    /** Broker host. Default {@code 127.0.0.1}. */
    @WithDefault("127.0.0.1")
    String host();

    /** Broker port. Default {@code 1883}. */
    @WithDefault("1883")
    int port();

    /** Broker user of this service. Default {@code buffer}. */
    @WithDefault("buffer")
    String username();

    /**
     * Broker password; no default. Provision it into a 0600 properties file named by {@code
     * quarkus.config.locations}, or the environment variable {@code BUFFER_BUS_PASSWORD}.
     */
    String password();

    /**
     * MQTT client id. Fixed, because the broker keeps the persistent session (and the messages sent
     * while the buffer is down) under it. Default {@code gw-buffer}.
     */
    @WithDefault("gw-buffer")
    String clientId();

    /** MQTT keep-alive. Default {@code 30s}. */
    @WithDefault("30s")
    Duration keepAlive();
  }

  /** Ingest settings. */
  interface Ingest {
    /** A flush is written when it holds this many rows. Default {@code 5000}. */
    @WithDefault("5000")
    int batchRows();

    /** Longest time the first message of a flush waits for more. Default {@code 200ms}. */
    @WithDefault("200ms")
    Duration maxDelay();

    /**
     * Decoded messages waiting for the writer; when full, decoding waits. The broker's {@code
     * max_inflight_messages} bounds what arrives unacknowledged. Default {@code 1000}.
     */
    @WithDefault("1000")
    int queueMessages();

    /** Largest accepted payload. Default {@code 1M}. */
    @WithDefault("1M")
    MemorySize maxPayload();

    /**
     * Samples further ahead of the gateway clock than this go to the dead-letter topic. Default
     * {@code 1h}.
     */
    @WithDefault("1h")
    Duration maxFutureSkew();
  }

  /** Store settings. */
  interface Store {
    /** Samples and alarm events older than this are deleted. Default {@code 30d}. */
    @WithDefault("30d")
    Duration retention();

    /**
     * Disk quota of the stored data (tables and indexes of samples and alarm events), e.g. {@code
     * 20G}. Default {@code 8G}.
     */
    @WithDefault("8G")
    MemorySize quota();

    /**
     * When the quota forces unsent data out, how much of the oldest time is removed per step.
     * Default {@code 1h}.
     */
    @WithDefault("1h")
    Duration quotaDropStep();

    /** How often retention and the quota are enforced. Default {@code 1m}. */
    @WithDefault("1m")
    Duration maintenanceInterval();

    /** Days of partitions created ahead of today (plain mode). Default {@code 2}. */
    @WithDefault("2")
    int daysAhead();

    /** TimescaleDB mode: chunks older than this are compressed. Default {@code 2d}. */
    @WithDefault("2d")
    Duration compressAfter();

    /** Outbox consumer whose delivered ranges count as "sent to the cloud". Default cloud. */
    @WithDefault("cloud")
    String deliveredBy();
  }

  /** Query API settings. */
  interface Api {
    /**
     * File holding the bearer token of the query API (generated at provisioning, mode 0600).
     * Without it every API call is refused with 503. Default {@code
     * /etc/gateway/secrets/buffer-api-token}.
     */
    @WithDefault("/etc/gateway/secrets/buffer-api-token")
    Path tokenFile();

    /** Rows fetched from the database per round trip while streaming. Default {@code 5000}. */
    @WithDefault("5000")
    int fetchSize();

    /** Longest a single query may run. Default {@code 5m}. */
    @WithDefault("5m")
    Duration statementTimeout();

    /** Most buckets one aggregate query may return. Default {@code 1000000}. */
    @WithDefault("1000000")
    long maxBuckets();
  }

  /** Status report settings. */
  interface StatusReport {
    /** How often the retained status is refreshed. Default {@code 15s}. */
    @WithDefault("15s")
    Duration interval();
  }

  /** Bus export settings: the command {@code buffer.export}, answered in parts. */
  interface Export {
    /**
     * A part is sent once its data holds this much; well under the 1 MiB payload limit, since JSON
     * escaping can grow the data. Default {@code 128K}.
     */
    @WithDefault("128K")
    MemorySize partBytes();

    /** Most rows per part, unless the command's {@code chunkRows} says otherwise. Default 5000. */
    @WithDefault("5000")
    int partRows();

    /** Most rows of one export; a larger one stops with a failed reply. Default 20000000. */
    @WithDefault("20000000")
    long maxRows();

    /** Most parts of one export; a larger one stops with a failed reply. Default 20000. */
    @WithDefault("20000")
    int maxParts();

    /** Exports running at once; another is refused until one ends. Default 1. */
    @WithDefault("1")
    int concurrent();

    /** How long the local broker may take to acknowledge a part. Default {@code 30s}. */
    @WithDefault("30s")
    Duration ackTimeout();

    /**
     * The range when the command names no {@code from}: this long before {@code to}. Default 30d.
     */
    @WithDefault("30d")
    Duration defaultRange();

    /** MQTT client id of the command session (a clean session). Default {@code gw-buffer-cmd}. */
    @WithDefault("gw-buffer-cmd")
    String clientId();
  }
}
