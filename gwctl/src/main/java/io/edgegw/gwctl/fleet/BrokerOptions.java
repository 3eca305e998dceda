package io.edgegw.gwctl.fleet;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** How gwctl reaches the cloud broker: TLS always, verified against {@code --ca}; mTLS optional. */
public final class BrokerOptions {

  @Option(
      names = "--broker",
      required = true,
      paramLabel = "URL",
      description = "The cloud MQTT broker, ssl://host:port (TLS only).")
  URI broker;

  @Option(
      names = "--ca",
      required = true,
      paramLabel = "FILE",
      description = "PEM CA the broker's certificate must chain to.")
  Path caFile;

  @Option(
      names = "--cert",
      paramLabel = "FILE",
      description = "PEM client certificate (mTLS), with --key.")
  Path certFile;

  @Option(
      names = "--key",
      paramLabel = "FILE",
      description = "Unencrypted PKCS#8 PEM key of --cert.")
  Path keyFile;

  @Option(
      names = "--username",
      paramLabel = "NAME",
      description = "Broker user name, if the broker wants one.")
  String username;

  @Option(
      names = "--password-file",
      paramLabel = "FILE",
      description = "File holding the broker password (never on the command line).")
  Path passwordFile;

  @Option(
      names = "--prefix",
      defaultValue = "edgegw",
      paramLabel = "P",
      description = "Cloud topic prefix, as uplink.cloud.topic-prefix (default: ${DEFAULT-VALUE}).")
  String prefix;

  @Option(
      names = "--connect-timeout",
      defaultValue = "PT10S",
      paramLabel = "DURATION",
      description = "ISO-8601, default ${DEFAULT-VALUE}.")
  Duration connectTimeout;
}
