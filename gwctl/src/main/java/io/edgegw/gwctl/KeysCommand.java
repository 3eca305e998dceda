package io.edgegw.gwctl;

import io.edgegw.bundle.Keys;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code gwctl keys}: bundle signing keys. */
@Command(
    name = "keys",
    description = "Bundle signing keys (Ed25519).",
    mixinStandardHelpOptions = true,
    subcommands = {KeysCommand.Generate.class})
final class KeysCommand {

  /** {@code gwctl keys generate --out DIR [--name NAME]}. */
  @Command(
      name = "generate",
      mixinStandardHelpOptions = true,
      description = {
        "Generate a signing key pair: NAME.key (mode 0600, keep it off the gateways) and NAME.pub"
            + " (copy it into each gateway's trust-anchor directory).",
        "Existing files are never overwritten."
      })
  static final class Generate implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(
        names = "--out",
        required = true,
        paramLabel = "DIR",
        description = "Directory to write into (created if absent).")
    Path out;

    @Option(
        names = "--name",
        defaultValue = "bundle-signing",
        paramLabel = "NAME",
        description = "File name stem (default: ${DEFAULT-VALUE}).")
    String name;

    @Override
    public Integer call() throws Exception {
      KeyPair pair = Keys.generate(out, name);
      var o = spec.commandLine().getOut();
      o.println("signing key " + out.resolve(name + ".key") + " (mode 0600)");
      o.println("public key  " + out.resolve(name + ".pub"));
      o.println("key id      " + Keys.keyId(pair.getPublic()));
      o.flush();
      return Gwctl.OK;
    }
  }
}
