package io.edgegw.gwctl;

import io.edgegw.bundle.BundleRejectedException;
import io.edgegw.bundle.RegistryUnavailableException;
import io.edgegw.gwctl.fleet.DataCommand;
import io.edgegw.gwctl.fleet.FleetCommands;
import io.edgegw.gwctl.fleet.FleetUnavailableException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The operator CLI: signing keys, bundles (build, sign, verify, push) and, through the cloud
 * broker, fleet commands.
 *
 * <p>Exit codes: {@value #OK} success; {@value #FAILED} the operation failed (I/O, a registry
 * refusal, a bad file); {@value #USAGE} a usage error; {@value #REJECTED} a bundle was rejected;
 * {@value #UNAVAILABLE} the registry or broker could not be reached (retry later); {@value
 * #FLEET_FAILED} a fleet operation ended with failed or unanswered gateways. A failure prints one
 * line on stderr: {@code gwctl: <what went wrong>}.
 */
@Command(
    name = "gwctl",
    mixinStandardHelpOptions = true,
    versionProvider = Gwctl.Version.class,
    description = "Operator CLI of the edge gateway: keys, signed bundles, fleet commands.",
    subcommands = {
      KeysCommand.class,
      BundleCommand.class,
      ArtifactCommand.class,
      FleetCommands.Deploy.class,
      FleetCommands.Restart.class,
      FleetCommands.Status.class,
      DataCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Gwctl {

  /** Success. */
  public static final int OK = 0;

  /** The operation failed. */
  public static final int FAILED = 1;

  /** The command line was wrong (picocli's convention). */
  public static final int USAGE = 2;

  /** A bundle was rejected (its reason is in the message). */
  public static final int REJECTED = 3;

  /** The registry or the broker could not be reached; nothing was changed. */
  public static final int UNAVAILABLE = 4;

  /** A fleet operation ended with failed or unanswered gateways. */
  public static final int FLEET_FAILED = 5;

  /** Runs gwctl and exits with its exit code. */
  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** A configured command line; tests run it in-process with their own out and err writers. */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Gwctl());
    cli.setExecutionExceptionHandler((e, command, parsed) -> {
      PrintWriter err = command.getErr();
      err.println("gwctl: " + oneLine(e));
      err.flush();
      return exitCodeOf(e);
    });
    cli.setParameterExceptionHandler((e, args) -> {
      PrintWriter err = e.getCommandLine().getErr();
      err.println("gwctl: " + e.getMessage());
      err.println("Try '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
      err.flush();
      return USAGE;
    });
    return cli;
  }

  static int exitCodeOf(Throwable e) {
    if (e instanceof BundleRejectedException) {
      return REJECTED;
    }
    if (e instanceof RegistryUnavailableException || e instanceof FleetUnavailableException) {
      return UNAVAILABLE;
    }
    if (e instanceof FleetCommands.FleetFailedException) {
      return FLEET_FAILED;
    }
    return FAILED;
  }

  private static String oneLine(Throwable e) {
    String message = e.getMessage();
    if (message == null || message.isBlank()) {
      message = e.getClass().getSimpleName();
    }
    if (e instanceof java.nio.file.NoSuchFileException) {
      message = "no such file: " + message;
    } else if (e instanceof java.nio.file.FileAlreadyExistsException) {
      message = "already exists: " + message;
    } else if (e instanceof java.nio.file.AccessDeniedException) {
      message = "permission denied: " + message;
    }
    return message.replaceAll("\\s*\\R\\s*", " ");
  }

  /** The version from the jar's manifest, "development" when run from classes. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Gwctl.class.getPackage().getImplementationVersion();
      return new String[] {"gwctl " + (version == null ? "development" : version)};
    }
  }
}
