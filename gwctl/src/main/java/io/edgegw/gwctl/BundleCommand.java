package io.edgegw.gwctl;

import io.edgegw.bundle.Bundle;
import io.edgegw.bundle.BundleManifest;
import io.edgegw.bundle.BundleSigner;
import io.edgegw.bundle.BundleVerifier;
import io.edgegw.bundle.ComposeFile;
import io.edgegw.bundle.ComposeMerge;
import io.edgegw.bundle.Keys;
import io.edgegw.bundle.RegistryClient;
import io.edgegw.bundle.Versions;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code gwctl bundle}: build, sign, verify and push update bundles. */
@Command(
    name = "bundle",
    mixinStandardHelpOptions = true,
    description =
        "Signed update bundles: a Compose file with pinned images, a manifest, a signature.",
    subcommands = {
      BundleCommand.Build.class,
      BundleCommand.Sign.class,
      BundleCommand.Verify.class,
      BundleCommand.Push.class,
      BundleCommand.Pull.class
    })
final class BundleCommand {

  /** The clock of {@code bundle build}'s {@code created}; tests may replace it. */
  static Clock clock = Clock.systemUTC();

  /** {@code gwctl bundle build}. */
  @Command(
      name = "build",
      mixinStandardHelpOptions = true,
      description = {
        "Build an unsigned bundle: resolve every image tag of the Compose file to its digest in the"
            + " registry, rewrite image: to name@sha256:..., and write manifest.json and compose.yaml"
            + " into --out."
      })
  static final class Build implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(
        names = "--compose",
        required = true,
        paramLabel = "FILE",
        description =
            "The stack's Compose file (tags are fine). Repeatable: the files are joined into one,"
                + " and a name defined in two of them is refused.")
    List<Path> compose;

    @Option(
        names = "--version",
        required = true,
        paramLabel = "V",
        description = "The bundle's version, MAJOR.MINOR.PATCH.")
    String version;

    @Option(
        names = "--min-agent",
        defaultValue = "1.0.0",
        paramLabel = "V",
        description = "The oldest ota-agent that may apply it (default: ${DEFAULT-VALUE}).")
    String minAgent;

    @Option(
        names = "--registry",
        required = true,
        paramLabel = "URL",
        description = "The registry holding the images, e.g. http://127.0.0.1:5000.")
    URI registry;

    @Option(
        names = "--health",
        paramLabel = "SERVICE=CHECK",
        description =
            "A service's health gate: an http(s) readiness URL, or 'status' for its retained status topic. Repeatable.")
    Map<String, String> health = new LinkedHashMap<>();

    @Option(
        names = "--out",
        required = true,
        paramLabel = "DIR",
        description = "Directory to write the bundle into.")
    Path out;

    @Override
    public Integer call() throws Exception {
      requireVersion(spec, version, "--version");
      requireVersion(spec, minAgent, "--min-agent");
      List<ComposeMerge.Source> sources = new ArrayList<>();
      for (Path p : compose) {
        sources.add(new ComposeMerge.Source(p.toString(), Files.readAllBytes(p)));
      }
      String where =
          compose.size() == 1 ? compose.getFirst().toString() : "the joined Compose files";
      ComposeFile file = ComposeFile.parse(ComposeMerge.merge(sources), where);
      RegistryClient client = new RegistryClient(registry);
      ImagePinner.Result pinned =
          new ImagePinner(client.base().getRawAuthority(), client::resolveDigest).pin(file, where);
      BundleManifest manifest;
      try {
        manifest =
            new BundleManifest(version, minAgent, file.serviceNames(), health, Instant.now(clock));
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), e.getMessage());
      }
      Bundle bundle = Bundle.of(manifest, pinned.compose());
      bundle.write(out);
      PrintWriter o = spec.commandLine().getOut();
      for (ImagePinner.Pin pin : pinned.pins()) {
        o.println(
            pin.service()
                + ": "
                + pin.from()
                + (pin.from().equals(pin.to()) ? " (already pinned)" : " -> " + pin.to()));
      }
      o.println("built bundle " + version + " " + bundle.digest() + " in " + out + " (unsigned)");
      o.flush();
      return Gwctl.OK;
    }
  }

  /** {@code gwctl bundle sign --key FILE DIR}. */
  @Command(
      name = "sign",
      mixinStandardHelpOptions = true,
      description = "Sign a bundle directory in place with an Ed25519 key.")
  static final class Sign implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(
        names = "--key",
        required = true,
        paramLabel = "FILE",
        description = "The signing key (NAME.key from 'gwctl keys generate').")
    Path key;

    @Parameters(paramLabel = "DIR", description = "The bundle directory.")
    Path dir;

    @Override
    public Integer call() throws Exception {
      BundleSigner signer = new BundleSigner(Keys.readSigningKey(key));
      Bundle signed = signer.sign(Bundle.read(dir));
      signed.write(dir);
      PrintWriter o = spec.commandLine().getOut();
      o.println(
          "signed bundle "
              + signed.manifest().version()
              + " "
              + signed.digest()
              + " with key "
              + signer.keyId());
      o.flush();
      return Gwctl.OK;
    }
  }

  /** {@code gwctl bundle verify --trust DIR DIR}. */
  @Command(
      name = "verify",
      mixinStandardHelpOptions = true,
      description =
          "Verify a bundle directory as a gateway would: signature by a trust anchor, unchanged, images pinned.")
  static final class Verify implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(
        names = "--trust",
        required = true,
        paramLabel = "DIR",
        description = "Trust-anchor directory (*.pub).")
    Path trust;

    @Parameters(paramLabel = "DIR", description = "The bundle directory.")
    Path dir;

    @Override
    public Integer call() throws Exception {
      Bundle bundle = new BundleVerifier(Keys.readTrustAnchors(trust)).verify(Bundle.read(dir));
      PrintWriter o = spec.commandLine().getOut();
      o.println("verified bundle " + bundle.manifest().version() + " " + bundle.digest());
      o.flush();
      return Gwctl.OK;
    }
  }

  /** {@code gwctl bundle push --registry URL --repo R --tag T DIR}. */
  @Command(
      name = "push",
      mixinStandardHelpOptions = true,
      description = "Push a signed bundle to the registry as an OCI artifact.")
  static final class Push implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(
        names = "--registry",
        required = true,
        paramLabel = "URL",
        description = "The registry, e.g. http://127.0.0.1:5000.")
    URI registry;

    @Option(
        names = "--repo",
        required = true,
        paramLabel = "R",
        description = "The repository, e.g. edgegw/stack.")
    String repo;

    @Option(
        names = "--tag",
        paramLabel = "T",
        description = "The tag (default: the bundle's version).")
    String tag;

    @Parameters(paramLabel = "DIR", description = "The signed bundle directory.")
    Path dir;

    @Override
    public Integer call() throws Exception {
      Bundle bundle = Bundle.read(dir);
      if (bundle.signature().isEmpty()) {
        throw new IllegalArgumentException(
            "bundle "
                + dir
                + " is not signed; gateways refuse unsigned bundles (run 'gwctl bundle sign' first)");
      }
      String t = tag == null ? bundle.manifest().version() : tag;
      RegistryClient client = new RegistryClient(registry);
      String digest = client.pushBundle(repo, t, bundle);
      PrintWriter o = spec.commandLine().getOut();
      o.println(
          "pushed bundle "
              + bundle.manifest().version()
              + " to "
              + client.base().getRawAuthority()
              + "/"
              + repo
              + ":"
              + t);
      o.println("reference " + client.base().getRawAuthority() + "/" + repo + "@" + digest);
      o.flush();
      return Gwctl.OK;
    }
  }

  /** {@code gwctl bundle pull --registry URL --repo R --ref REF --out DIR}. */
  @Command(
      name = "pull",
      mixinStandardHelpOptions = true,
      description =
          "Download a bundle from the registry into a directory (for inspection; nothing is verified or applied).")
  static final class Pull implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(
        names = "--registry",
        required = true,
        paramLabel = "URL",
        description = "The registry.")
    URI registry;

    @Option(names = "--repo", required = true, paramLabel = "R", description = "The repository.")
    String repo;

    @Option(
        names = "--ref",
        required = true,
        paramLabel = "REF",
        description = "A tag or a sha256 digest.")
    String ref;

    @Option(
        names = "--out",
        required = true,
        paramLabel = "DIR",
        description = "Directory to write into; must not exist or be empty.")
    Path out;

    @Override
    public Integer call() throws Exception {
      if (Files.exists(out, LinkOption.NOFOLLOW_LINKS)) {
        try (var entries = Files.list(out)) {
          if (entries.findAny().isPresent()) {
            throw new IllegalArgumentException(out + " is not empty");
          }
        }
      }
      Bundle bundle = new RegistryClient(registry).pullBundle(repo, ref);
      bundle.write(out);
      PrintWriter o = spec.commandLine().getOut();
      o.println(
          "pulled bundle " + bundle.manifest().version() + " " + bundle.digest() + " into " + out);
      o.flush();
      return Gwctl.OK;
    }
  }

  static void requireVersion(CommandSpec spec, String value, String option) {
    if (!Versions.isValid(value)) {
      throw new ParameterException(
          spec.commandLine(), option + " '" + value + "' is not MAJOR.MINOR.PATCH (e.g. 1.4.0)");
    }
  }
}
