package io.edgegw.bridge.write;

import io.edgegw.bridge.BridgeRuntime;
import io.edgegw.bridge.modbus.ModbusFault;
import io.edgegw.bridge.poll.DevicePoller;
import io.edgegw.contracts.Command;
import io.edgegw.contracts.CommandResult;
import io.edgegw.contracts.DeadLetter;
import io.edgegw.contracts.PayloadCodec;
import io.edgegw.contracts.PayloadException;
import io.edgegw.contracts.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.reactive.messaging.mqtt.MqttMessage;
import io.smallrye.reactive.messaging.mqtt.ReceivingMqttMessageMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * Executes {@code gw/v1/cmd/bridge/write} commands: validate, write, answer on the command's reply
 * topic. A payload that is not a command goes to {@code gw/v1/dlq/bridge}; a command that cannot be
 * carried out is answered with the reason and touches no device.
 */
@ApplicationScoped
public class WriteCommands {
  private static final Logger LOG = Logger.getLogger(WriteCommands.class);

  private final BridgeRuntime runtime;
  private final InstantSource clock;
  private final Emitter<byte[]> out;
  private final PayloadCodec codec = new PayloadCodec(64 * 1024);
  private final MeterRegistry registry;

  WriteCommands(
      BridgeRuntime runtime,
      InstantSource clock,
      @Channel("bridge-out") Emitter<byte[]> out,
      MeterRegistry registry) {
    this.runtime = runtime;
    this.clock = clock;
    this.out = out;
    this.registry = registry;
  }

  @Incoming("bridge-commands")
  @Blocking
  CompletionStage<Void> onCommand(Message<byte[]> message) {
    String topic =
        message
            .getMetadata(ReceivingMqttMessageMetadata.class)
            .map(ReceivingMqttMessageMetadata::getTopic)
            .orElse(Topics.command("bridge", "write"));
    handle(topic, message.getPayload());
    return message.ack();
  }

  void handle(String topic, byte[] payload) {
    long now = clock.millis();
    Command command;
    try {
      command = codec.decode(payload, Command.class);
    } catch (PayloadException e) {
      registry.counter("bridge.commands.rejected", "reason", "malformed").increment();
      LOG.warnf("dead-lettered a payload on %s: %s", topic, e.getMessage());
      send(
          Topics.deadLetters("bridge"),
          codec.encode(DeadLetter.of("bridge", topic, e.getMessage(), now, payload)));
      return;
    }
    CommandResult result = execute(topic, command, now);
    registry
        .counter("bridge.commands", "verb", command.verb(), "ok", String.valueOf(result.ok()))
        .increment();
    if (!result.ok()) {
      LOG.warnf("command %s rejected: %s", command.id(), result.reason());
    }
    send(command.replyTo(), codec.encode(result));
  }

  private CommandResult execute(String topic, Command command, long now) {
    if (!"bridge".equals(command.target())
        || !topic.equals(Topics.command(command.target(), command.verb()))) {
      return CommandResult.failed(
          command.id(),
          now,
          "command for " + command.target() + "/" + command.verb() + " arrived on " + topic);
    }
    if (!"write".equals(command.verb())) {
      return CommandResult.failed(
          command.id(), now, "unknown verb '" + command.verb() + "' (the bridge knows: write)");
    }
    if (now > command.deadline()) {
      return CommandResult.failed(
          command.id(), now, "deadline passed " + (now - command.deadline()) + " ms ago");
    }
    if (runtime.devices().isEmpty()) {
      return CommandResult.failed(command.id(), now, "bridge has no valid device configuration");
    }
    WritePlan plan;
    try {
      plan = new WriteValidator(runtime.devices().get()).validate(command.args());
    } catch (WriteRejected e) {
      return CommandResult.failed(command.id(), now, e.getMessage());
    }
    DevicePoller poller = runtime.poller(plan.device().id()).orElseThrow();
    try {
      WriteExecutor.write(poller.channel(), plan);
    } catch (ModbusFault e) {
      return CommandResult.failed(
          command.id(), clock.millis(), "write failed: " + e.kind() + ": " + e.getMessage());
    }
    LOG.infof(
        "command %s wrote %s to %s/%s",
        command.id(), plan.value(), plan.device().id(), plan.tag().name());
    return CommandResult.ok(
        command.id(),
        clock.millis(),
        Map.of("device", plan.device().id(), "tag", plan.tag().name(), "value", plan.value()));
  }

  private void send(String topic, byte[] payload) {
    out.send(MqttMessage.of(topic, payload, MqttQoS.AT_LEAST_ONCE, false));
  }
}
