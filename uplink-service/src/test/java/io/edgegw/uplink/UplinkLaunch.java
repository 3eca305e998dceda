package io.edgegw.uplink;

import io.edgegw.testsupport.MosquittoBroker;
import io.edgegw.testsupport.PostgresServer;
import io.edgegw.testsupport.ServiceProcess;
import io.edgegw.testsupport.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The packaged services of the uplink process tests, as failsafe hands them over, and the settings
 * every uplink-service run of those tests shares: gateway {@code gw-1}, the TLS cloud broker with
 * {@code gateway}'s certificate, quick reconnects, offline after {@link #OFFLINE_AFTER}, a status
 * every second, a live poll every 200 ms. A test adds or overrides properties (the later wins).
 */
final class UplinkLaunch {
  static final Duration OFFLINE_AFTER = Duration.ofSeconds(3);
  static final Duration LIVE_POLL = Duration.ofMillis(200);

  private UplinkLaunch() {}

  static ServiceProcess.Builder uplink(
      TestPki pki,
      TestPki.Issued gateway,
      MosquittoBroker cloud,
      MosquittoBroker local,
      PostgresServer pg,
      DataSource store) {
    return ServiceProcess.builder("uplink-service", jar("uplink.app.jar"))
        .heap("128m")
        .property("uplink.gateway-id", "gw-1")
        .property("uplink.cloud.host", "127.0.0.1")
        .property("uplink.cloud.port", String.valueOf(cloud.port()))
        .property("uplink.cloud.tls.ca-file", pki.ca().certFile().toString())
        .property("uplink.cloud.tls.cert-file", gateway.certFile().toString())
        .property("uplink.cloud.tls.key-file", gateway.keyFile().toString())
        .property("uplink.cloud.reconnect.initial-delay", "200ms")
        .property("uplink.cloud.reconnect.max-delay", "1s")
        .property("uplink.offline.after", OFFLINE_AFTER.toSeconds() + "s")
        .property("uplink.status.interval", "1s")
        .property("uplink.outbox.live-poll-interval", LIVE_POLL.toMillis() + "ms")
        .property("uplink.bus.port", String.valueOf(local.port()))
        .property("quarkus.datasource.jdbc.url", ((PGSimpleDataSource) store).getUrl())
        .property("quarkus.datasource.username", pg.username())
        .secret("QUARKUS_DATASOURCE_PASSWORD", pg.password())
        .secret("UPLINK_BUS_PASSWORD", local.password("uplink"))
        .clearEnvironmentPrefix("UPLINK_");
  }

  /**
   * The packaged service whose quarkus-run.jar failsafe names in system property {@code property}.
   */
  static Path jar(String property) {
    String jar = System.getProperty(property);
    if (jar == null || !Files.isRegularFile(Path.of(jar))) {
      throw new IllegalStateException(
          property
              + " is "
              + jar
              + "; run with failsafe after packaging both services (mvn verify -pl"
              + " bridge-service,uplink-service -am)");
    }
    return Path.of(jar);
  }
}
