package io.edgegw.gwctl;

import io.edgegw.bundle.BundleSigner;
import io.edgegw.bundle.Keys;
import io.edgegw.bundle.RegistryClient;
import io.edgegw.bundle.SignedArtifact;
import io.edgegw.gwctl.fleet.BrokerOptions;
import io.edgegw.gwctl.fleet.FleetCommands;
import io.edgegw.gwctl.fleet.Targets;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code gwctl artifact}: files for the gateways' local devices (firmware, models). {@code push}
 * signs a file with the release key and pushes it as an OCI artifact; {@code deploy} tells
 * gateways, through the cloud broker like {@code gwctl deploy}, to pull, verify and serve it to
 * their OT-side devices (the ota-agent's {@code artifact} verb).
 */
@Command(
    name = "artifact",
    mixinStandardHelpOptions = true,
    description = "Device artifacts (firmware, models): sign and push, deploy to gateways.",
    subcommands = {ArtifactCommand.Push.class, ArtifactCommand.Deploy.class})
final class ArtifactCommand {

  /** Largest file pushed: gateways hold an artifact in memory while they verify it. */
  static final long MAX_BYTES = 1L << 30;

  private static final Pattern DEVICE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

  private ArtifactCommand() {}

  /** {@code gwctl artifact push --file F --key K --registry URL --repo R --tag T}. */
  @Command(
      name = "push",
      mixinStandardHelpOptions = true,
      description =
          "Sign a file with an Ed25519 key (over its name, media type and bytes) and push it to"
              + " the registry as an OCI artifact.")
  static final class Push implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(names = "--file", required = true, paramLabel = "F", description = "The file.")
    Path file;

    @Option(
        names = "--name",
        paramLabel = "N",
        description =
            "The name devices download it by, e.g. plc-fw.bin (default: the file's name);"
                + " [A-Za-z0-9._-], no path.")
    String name;

    @Option(
        names = "--type",
        defaultValue = "application/octet-stream",
        paramLabel = "T",
        description = "Its media type (default: ${DEFAULT-VALUE}).")
    String mediaType;

    @Option(
        names = "--key",
        required = true,
        paramLabel = "FILE",
        description = "The signing key (NAME.key from 'gwctl keys generate').")
    Path key;

    @Option(
        names = "--registry",
        required = true,
        paramLabel = "URL",
        description = "The registry, e.g. https://registry.example:5000.")
    URI registry;

    @Option(
        names = "--registry-ca",
        paramLabel = "FILE",
        description =
            "PEM CA certificate(s) the registry's TLS certificate is verified against (default:"
                + " the JDK's trust store).")
    Path registryCa;

    @Option(
        names = "--repo",
        required = true,
        paramLabel = "R",
        description = "The repository, e.g. edgegw/firmware.")
    String repo;

    @Option(names = "--tag", required = true, paramLabel = "T", description = "The tag.")
    String tag;

    @Override
    public Integer call() throws Exception {
      String n = name == null ? String.valueOf(file.getFileName()) : name;
      long size = Files.size(file);
      if (size > MAX_BYTES) {
        throw new IllegalArgumentException(
            file + " has " + size + " bytes; artifacts are limited to " + MAX_BYTES + " bytes");
      }
      SignedArtifact unsigned;
      try {
        unsigned = SignedArtifact.of(n, mediaType, Files.readAllBytes(file));
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), e.getMessage(), e, null, n);
      }
      BundleSigner signer = new BundleSigner(Keys.readSigningKey(key));
      SignedArtifact signed = signer.sign(unsigned);
      RegistryClient client =
          registryCa == null
              ? new RegistryClient(registry)
              : new RegistryClient(
                  registry,
                  HttpClient.newBuilder()
                      .connectTimeout(Duration.ofSeconds(10))
                      .sslContext(trusting(registryCa))
                      .build(),
                  Duration.ofSeconds(120));
      String manifest = client.pushArtifact(repo, tag, signed);
      PrintWriter o = spec.commandLine().getOut();
      o.println(
          "pushed artifact "
              + signed.name()
              + " "
              + signed.digest()
              + " ("
              + size
              + " bytes, signed with key "
              + signer.keyId()
              + ") to "
              + client.base().getRawAuthority()
              + "/"
              + repo
              + ":"
              + tag);
      o.println("reference " + client.base().getRawAuthority() + "/" + repo + "@" + manifest);
      o.flush();
      return Gwctl.OK;
    }
  }

  /** An SSL context that trusts the CA certificates in a PEM file, and nothing else. */
  static SSLContext trusting(Path caFile) throws IOException {
    try (InputStream in = Files.newInputStream(caFile)) {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      int i = 0;
      for (Certificate cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        trust.setCertificateEntry("ca-" + i++, cert);
      }
      if (i == 0) {
        throw new IllegalArgumentException("--registry-ca " + caFile + " holds no certificate");
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("--registry-ca " + caFile + ": " + e.getMessage(), e);
    }
  }

  /** {@code gwctl artifact deploy --gateway ID|--group G|--all --repo R --ref REF}. */
  @Command(
      name = "deploy",
      mixinStandardHelpOptions = true,
      description = {
        "Have gateways pull an artifact from their registry, verify its signature and serve it to"
            + " their OT-side devices; in waves, like deploy. Each gateway answers with the"
            + " artifact's name, digest and size, or why it refused it (the previous version stays"
            + " served)."
      })
  static final class Deploy implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Mixin BrokerOptions broker;

    @ArgGroup(exclusive = false, multiplicity = "1")
    Targets targets;

    @Option(
        names = "--repo",
        required = true,
        paramLabel = "R",
        description = "Artifact repository in the gateways' registry, e.g. edgegw/firmware.")
    String repository;

    @Option(
        names = "--ref",
        required = true,
        paramLabel = "REF",
        description = "Artifact tag or sha256 digest.")
    String reference;

    @Option(
        names = "--devices",
        split = ",",
        paramLabel = "ID",
        description =
            "The devices it is meant for (ids in the gateways' ota.artifacts.devices); their"
                + " download status shows PENDING until they fetch it.")
    List<String> devices;

    @Option(
        names = "--wave-size",
        defaultValue = "1000000",
        paramLabel = "N",
        description = "Gateways per wave (default: all at once).")
    int waveSize;

    @Option(
        names = "--halt-after-failures",
        defaultValue = "1000000",
        paramLabel = "N",
        description = "Start no further wave once N gateways have failed (default: never halt).")
    int haltAfterFailures;

    @Option(
        names = "--timeout",
        defaultValue = "PT10M",
        paramLabel = "DURATION",
        description = "How long each gateway has (ISO-8601, default ${DEFAULT-VALUE}).")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
      Map<String, Object> args = new LinkedHashMap<>();
      args.put("repository", repository);
      args.put("reference", reference);
      if (devices != null && !devices.isEmpty()) {
        for (String d : devices) {
          if (!DEVICE_ID.matcher(d).matches()) {
            throw new ParameterException(
                spec.commandLine(),
                "--devices: '" + d + "' is not a device id ([A-Za-z0-9_.-], up to 64)");
          }
        }
        args.put("devices", List.copyOf(devices));
      }
      return FleetCommands.rollout(
          spec, broker, targets, "artifact", args, waveSize, haltAfterFailures, timeout);
    }
  }
}
