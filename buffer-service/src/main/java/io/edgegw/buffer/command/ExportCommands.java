package io.edgegw.buffer.command;

import io.edgegw.buffer.query.ExportRows;
import io.edgegw.contracts.Command;
import io.edgegw.contracts.CommandResult;
import io.edgegw.contracts.DeadLetter;
import io.edgegw.contracts.PayloadCodec;
import io.edgegw.contracts.PayloadException;
import io.edgegw.contracts.Topics;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * Executes {@code gw/v1/cmd/buffer/export}: the handover's "read the last 30 days of buffered data
 * from any single gateway", through the cloud. The rows are read from a server-side cursor and sent
 * on the command's reply topic as progress replies ({@code final:false}, one part each), each
 * published at QoS 1 and acknowledged by the broker before the next rows are read; a final reply
 * carries the number of parts and rows and the SHA-256 of all the parts' data, so that the receiver
 * can tell a complete export from a truncated one. uplink-service relays every reply to the cloud
 * and restarts its reply wait on each part.
 */
public final class ExportCommands implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(ExportCommands.class);
  static final String COMPONENT = "buffer";
  static final String VERB = "export";

  /** Publishes at QoS 1; the future completes on the broker's acknowledgement. */
  @FunctionalInterface
  public interface Publisher {
    CompletableFuture<?> publish(String topic, byte[] payload);
  }

  /**
   * Settings.
   *
   * @param partBytes a part is sent once its data holds this many bytes
   * @param partRows most rows per part (a command's {@code chunkRows} may ask for fewer or more)
   * @param maxRows most rows of one export
   * @param maxParts most parts of one export
   * @param concurrent exports running at once; more are refused
   * @param ackTimeout how long the local broker may take to acknowledge a part
   * @param defaultRange length of the range when the command names no {@code from}
   * @param fetchSize rows per database round trip
   * @param statementTimeout longest a query may run
   */
  public record Settings(
      int partBytes,
      int partRows,
      long maxRows,
      int maxParts,
      int concurrent,
      Duration ackTimeout,
      Duration defaultRange,
      int fetchSize,
      Duration statementTimeout) {}

  private final DataSource dataSource;
  private final Settings settings;
  private final Publisher publisher;
  private final InstantSource clock;
  private final PayloadCodec codec = new PayloadCodec();
  private final Semaphore slots;
  private final ExecutorService workers =
      Executors.newThreadPerTaskExecutor(Thread.ofPlatform().name("buffer-export-", 1).factory());

  public ExportCommands(
      DataSource dataSource, Settings settings, Publisher publisher, InstantSource clock) {
    this.dataSource = dataSource;
    this.settings = settings;
    this.publisher = publisher;
    this.clock = clock;
    this.slots = new Semaphore(settings.concurrent());
  }

  /**
   * A message on {@code gw/v1/cmd/buffer/+}. Returns at once: the export runs on its own thread, so
   * the bus session's thread is never held.
   */
  public void onCommand(String topic, byte[] payload) {
    long now = clock.millis();
    Command command;
    try {
      command = codec.decode(payload, Command.class);
    } catch (PayloadException e) {
      LOG.warnf("dead-lettered a payload on %s: %s", topic, e.getMessage());
      publisher.publish(
          Topics.deadLetters(COMPONENT),
          codec.encode(DeadLetter.of(COMPONENT, topic, e.getMessage(), now, payload)));
      return;
    }
    String refused = refusal(topic, command, now);
    if (refused != null) {
      fail(command, refused);
      return;
    }
    ExportArgs args;
    try {
      args = ExportArgs.of(command.args());
    } catch (ExportArgs.Invalid e) {
      fail(command, e.getMessage());
      return;
    }
    if (!slots.tryAcquire()) {
      fail(
          command,
          "another export is running (buffer.export.concurrent="
              + settings.concurrent()
              + "); try again when it has finished");
      return;
    }
    try {
      workers.execute(() -> {
        try {
          run(command, args);
        } finally {
          slots.release();
        }
      });
    } catch (RejectedExecutionException e) {
      slots.release();
      fail(command, "the buffer is shutting down");
    }
  }

  private static String refusal(String topic, Command command, long now) {
    if (!COMPONENT.equals(command.target())
        || !topic.equals(Topics.command(command.target(), command.verb()))) {
      return "command for " + command.target() + "/" + command.verb() + " arrived on " + topic;
    }
    if (!VERB.equals(command.verb())) {
      return "unknown verb '" + command.verb() + "' (the buffer knows: export)";
    }
    if (now > command.deadline()) {
      return "deadline passed " + (now - command.deadline()) + " ms ago; not run";
    }
    return null;
  }

  /** Runs one export and answers it; every outcome ends in exactly one final reply. */
  void run(Command command, ExportArgs args) {
    long started = System.nanoTime();
    ExportRows plan;
    try (Connection c = dataSource.getConnection()) {
      plan =
          ExportRows.plan(
              c,
              args.series(),
              args.from(),
              args.to(),
              args.format(),
              clock.instant(),
              settings.defaultRange());
    } catch (ExportRows.Rejected e) {
      fail(command, e.getMessage());
      return;
    } catch (SQLException e) {
      fail(command, "the store is not available: " + e.getMessage());
      return;
    }
    int partRows = args.chunkRows() > 0 ? args.chunkRows() : settings.partRows();
    ExportParts parts =
        new ExportParts(
            new ExportParts.Limits(
                settings.partBytes(), partRows, settings.maxRows(), settings.maxParts()),
            (n, rows, data) -> sendPart(command, n, rows, data));
    ExportParts.Summary summary;
    try (Connection c = ExportRows.cursor(dataSource, settings.statementTimeout())) {
      plan.write(c, settings.fetchSize(), parts, parts::afterRow);
      summary = parts.finish();
      c.commit();
    } catch (ExportParts.LimitExceeded e) {
      fail(command, "export stopped: " + e.getMessage());
      return;
    } catch (PartNotSent e) {
      LOG.warnf("export %s stopped: %s", command.id(), e.getMessage());
      fail(command, "export stopped: " + e.getMessage());
      return;
    } catch (SQLException e) {
      fail(command, "export stopped: the store failed: " + e.getMessage());
      return;
    } catch (IOException e) {
      fail(command, "export stopped: " + e.getMessage());
      return;
    }
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("final", true);
    result.put("parts", summary.parts());
    result.put("rows", summary.rows());
    result.put("sha256", summary.sha256());
    result.put("format", plan.format());
    result.put("from", plan.from().toString());
    result.put("to", plan.to().toString());
    result.put("series", plan.series().size());
    try {
      send(command, CommandResult.ok(command.id(), clock.millis(), result));
    } catch (PartNotSent e) {
      LOG.warnf("export %s: the final reply was not sent: %s", command.id(), e.getMessage());
      return;
    }
    LOG.infof(
        "export %s: %d rows of %d series in %d parts (%s..%s, %s) in %d ms",
        command.id(),
        summary.rows(),
        plan.series().size(),
        summary.parts(),
        plan.from(),
        plan.to(),
        plan.format(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
  }

  private void sendPart(Command command, int part, long rows, String data) throws PartNotSent {
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("final", false);
    result.put("part", part);
    result.put("rows", rows);
    result.put("data", data);
    send(command, CommandResult.ok(command.id(), clock.millis(), result));
  }

  /** A part or reply that the local broker did not take. */
  static final class PartNotSent extends IOException {
    private static final long serialVersionUID = 1L;

    PartNotSent(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Publishes one reply and waits for its acknowledgement: the export's backpressure. */
  private void send(Command command, CommandResult reply) throws PartNotSent {
    byte[] payload = codec.encode(reply);
    if (payload.length > codec.maxBytes()) {
      throw new PartNotSent(
          "a part would be "
              + payload.length
              + " bytes, more than a payload may hold ("
              + codec.maxBytes()
              + "); lower buffer.export.part-bytes or chunkRows",
          null);
    }
    try {
      publisher
          .publish(command.replyTo(), payload)
          .get(settings.ackTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new PartNotSent(
          "the local bus refused a reply: " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new PartNotSent(
          "the local bus did not acknowledge a reply within " + settings.ackTimeout(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PartNotSent("the buffer is shutting down", e);
    }
  }

  private void fail(Command command, String reason) {
    LOG.warnf("export %s refused or failed: %s", command.id(), reason);
    // Not waited for: if the bus is gone, the relay answers the cloud with a timeout instead.
    publisher.publish(
        command.replyTo(),
        codec.encode(CommandResult.failed(command.id(), clock.millis(), reason)));
  }

  @Override
  public void close() {
    workers.shutdownNow();
    try {
      workers.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
