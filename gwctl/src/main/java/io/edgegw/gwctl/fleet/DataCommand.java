package io.edgegw.gwctl.fleet;

import io.edgegw.contracts.CommandResult;
import io.edgegw.contracts.PayloadCodec;
import io.edgegw.contracts.PayloadException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code gwctl data}: the handover's "read the last 30 days of buffered data from any single
 * gateway". Sends {@code buffer.export} through the cloud broker (uplink relays it to the gateway's
 * buffer-service), receives the rows in numbered parts, and writes them only once the final reply
 * confirms that every part arrived: the part numbers run 1..N without a gap or a repeat, the rows
 * add up, and the SHA-256 of the data matches the gateway's. The file is written to a temporary
 * name next to {@code --output} and renamed into place, so an interrupted or failed export never
 * leaves a file that looks complete; without {@code --output} the data goes to stdout after the
 * checks.
 */
@Command(
    name = "data",
    mixinStandardHelpOptions = true,
    description = {
      "Fetch buffered data (raw samples) from one gateway through the cloud broker, as CSV or"
          + " JSON, ordered by series then time. Progress goes to stderr.",
      "Exit codes: 0 written; 1 the transfer was incomplete or corrupt, or writing failed (nothing"
          + " written); 2 usage; 4 the broker could not be reached; 5 the gateway refused the"
          + " export, failed or did not answer (the reason is printed)."
    })
public final class DataCommand implements Callable<Integer> {

  private static final Duration PROGRESS_EVERY = Duration.ofSeconds(1);

  @Spec CommandSpec spec;

  @Mixin BrokerOptions broker;

  @Option(
      names = "--gateway",
      required = true,
      paramLabel = "ID",
      description = "The gateway, as uplink.gateway-id.")
  String gateway;

  @Option(
      names = "--series",
      split = ",",
      paramLabel = "S",
      description = "Series ids or device/tag names, comma-separated (default: every series).")
  List<String> series;

  @Option(
      names = "--from",
      defaultValue = "P30D",
      paramLabel = "TIME",
      description =
          "Start: a duration back from now (P30D, 24h) or an ISO-8601 instant (default:"
              + " ${DEFAULT-VALUE}).")
  String from;

  @Option(
      names = "--to",
      paramLabel = "TIME",
      description = "End, exclusive: an ISO-8601 instant (default: now).")
  String to;

  @Option(
      names = "--format",
      defaultValue = "csv",
      paramLabel = "F",
      description = "csv or json (default: ${DEFAULT-VALUE}).")
  String format;

  @Option(
      names = "--output",
      paramLabel = "FILE",
      description = "File to write (replaced atomically); default stdout.")
  Path output;

  @Option(
      names = "--chunk-rows",
      paramLabel = "N",
      description = "Most rows per part (default: the gateway's buffer.export.part-rows).")
  Integer chunkRows;

  @Option(
      names = "--timeout",
      defaultValue = "PT2M",
      paramLabel = "DURATION",
      description =
          "Longest wait for the next part or the result (ISO-8601, default ${DEFAULT-VALUE}).")
  Duration timeout;

  /** The transfer did not add up; nothing was written. */
  static final class IncompleteException extends IOException {
    private static final long serialVersionUID = 1L;

    IncompleteException(String message) {
      super(message);
    }
  }

  @Override
  public Integer call() throws Exception {
    if (!format.equals("csv") && !format.equals("json")) {
      throw new ParameterException(
          spec.commandLine(), "--format must be csv or json, got '" + format + "'");
    }
    if (chunkRows != null && chunkRows < 1) {
      throw new ParameterException(
          spec.commandLine(), "--chunk-rows must be at least 1, got " + chunkRows);
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new ParameterException(
          spec.commandLine(), "--timeout must be positive, got " + timeout);
    }
    Path target = output == null ? null : output.toAbsolutePath();
    Path dir = target == null ? null : target.getParent();
    if (dir != null && !Files.isDirectory(dir)) {
      throw new java.nio.file.NoSuchFileException(dir + " (the directory of --output)");
    }
    Map<String, Object> args = new LinkedHashMap<>();
    if (series != null && !series.isEmpty()) {
      args.put("series", series);
    }
    args.put("from", from);
    if (to != null) {
      args.put("to", to);
    }
    args.put("format", format);
    if (chunkRows != null) {
      args.put("chunkRows", chunkRows);
    }

    PrintWriter err = spec.commandLine().getErr();
    Path temp =
        dir == null
            ? Files.createTempFile("gwctl-data-", ".part")
            : Files.createTempFile(dir, "." + target.getFileName() + ".", ".part");
    boolean moved = false;
    try {
      Transfer transfer;
      try (CloudLink link = CloudLink.connect(broker);
          OutputStream out = Files.newOutputStream(temp)) {
        transfer = receive(link, args, out, err);
      }
      if (target == null) {
        // Only after the checks: stdout never gets a partial export.
        PrintWriter stdout = spec.commandLine().getOut();
        try (Reader in = Files.newBufferedReader(temp, StandardCharsets.UTF_8)) {
          in.transferTo(stdout);
        }
        stdout.flush();
      } else {
        try {
          Files.move(
              temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
        moved = true;
      }
      err.println(
          "gwctl data: "
              + transfer.rows()
              + " rows in "
              + transfer.parts()
              + " parts from "
              + gateway
              + " ("
              + transfer.summary().get("from")
              + " .. "
              + transfer.summary().get("to")
              + ", "
              + transfer.summary().get("series")
              + " series), sha256 "
              + transfer.sha256()
              + (target == null ? "" : ", written to " + target));
      err.flush();
      return 0;
    } finally {
      if (!moved) {
        Files.deleteIfExists(temp);
      }
    }
  }

  /** What arrived and was checked. */
  record Transfer(int parts, long rows, String sha256, Map<String, Object> summary) {}

  private Transfer receive(
      CloudLink link, Map<String, Object> args, OutputStream out, PrintWriter err)
      throws IOException, InterruptedException {
    PayloadCodec codec = new PayloadCodec();
    String id = "gwctl-" + UUID.randomUUID();
    String root = broker.prefix + "/" + gateway;
    BlockingQueue<CommandResult> replies = new LinkedBlockingQueue<>();
    link.subscribe(
        root + "/reply/" + id,
        (topic, payload) -> {
          try {
            CommandResult r = codec.decode(payload, CommandResult.class);
            if (r.id().equals(id)) {
              replies.add(r);
            }
          } catch (PayloadException e) {
            // Not a reply at all: ignored; the export then times out or fails its checks.
          }
        });
    Clock clock = Clock.systemUTC();
    io.edgegw.contracts.Command command =
        io.edgegw.contracts.Command.of(
            id, "buffer", "export", args, clock.millis() + timeout.toMillis());
    link.publish(root + "/cmd/buffer/export", codec.encode(command));
    err.println("gwctl data: export " + args + " requested from " + gateway);
    err.flush();

    MessageDigest sha256;
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
    int parts = 0;
    long rows = 0;
    long lastShown = 0;
    while (true) {
      CommandResult r = replies.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (r == null) {
        throw new FleetCommands.FleetFailedException(
            gateway
                + ": no reply within "
                + timeout.toSeconds()
                + " s"
                + (parts == 0 ? "" : " after part " + parts)
                + "; nothing written");
      }
      if (!r.ok()) {
        throw new FleetCommands.FleetFailedException(
            gateway + " refused or failed the export: " + r.reason() + "; nothing written");
      }
      Map<String, Object> result = r.result();
      if (!Boolean.FALSE.equals(result.get("final"))) {
        return verify(result, parts, rows, HexFormat.of().formatHex(sha256.digest()));
      }
      long part = number(result, "part");
      if (part != parts + 1) {
        throw new IncompleteException(
            (part <= parts
                    ? "part " + part + " arrived twice"
                    : "part " + (parts + 1) + " is missing")
                + " (got part "
                + part
                + " after part "
                + parts
                + "); nothing written");
      }
      if (!(result.get("data") instanceof String data)) {
        throw new IncompleteException("part " + part + " carries no data; nothing written");
      }
      byte[] bytes = data.getBytes(StandardCharsets.UTF_8);
      out.write(bytes);
      sha256.update(bytes);
      parts++;
      rows += number(result, "rows");
      long now = System.nanoTime();
      if (parts == 1 || now - lastShown >= PROGRESS_EVERY.toNanos()) {
        err.println("gwctl data: part " + parts + ", " + rows + " rows so far");
        err.flush();
        lastShown = now;
      }
    }
  }

  private static Transfer verify(Map<String, Object> result, int parts, long rows, String sha256)
      throws IncompleteException {
    long expectedParts = number(result, "parts");
    long expectedRows = number(result, "rows");
    if (expectedParts != parts) {
      throw new IncompleteException(
          "the gateway sent " + expectedParts + " parts, " + parts + " arrived; nothing written");
    }
    if (expectedRows != rows) {
      throw new IncompleteException(
          "the gateway sent "
              + expectedRows
              + " rows, the parts hold "
              + rows
              + "; nothing written");
    }
    if (!sha256.equals(result.get("sha256"))) {
      throw new IncompleteException(
          "the data's SHA-256 is "
              + sha256
              + ", the gateway's "
              + result.get("sha256")
              + "; nothing written");
    }
    return new Transfer(parts, rows, sha256, result);
  }

  private static long number(Map<String, Object> result, String name) throws IncompleteException {
    if (result.get(name) instanceof Number n) {
      return n.longValue();
    }
    throw new IncompleteException(
        "a reply has no number '" + name + "' (" + result.keySet() + "); nothing written");
  }
}
