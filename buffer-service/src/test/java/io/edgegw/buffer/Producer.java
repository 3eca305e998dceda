package io.edgegw.buffer;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import io.edgegw.contracts.PayloadCodec;
import io.edgegw.contracts.Quality;
import io.edgegw.contracts.Sample;
import io.edgegw.contracts.SampleBatch;
import io.edgegw.contracts.Topics;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Publishes sample batches as the bridge does: QoS 1 on a persistent MQTT 5 session that the HiveMQ
 * client resumes after a broker restart, resending whatever was not acknowledged.
 */
final class Producer implements AutoCloseable {
  private final Mqtt5AsyncClient client;
  private final PayloadCodec codec = new PayloadCodec();
  private final List<CompletableFuture<?>> pending = new ArrayList<>();
  private long seq;

  Producer(int port, String password, String clientId) throws Exception {
    client =
        MqttClient.builder()
            .useMqttVersion5()
            .identifier(clientId)
            .serverHost("127.0.0.1")
            .serverPort(port)
            .automaticReconnect()
            .initialDelay(100, TimeUnit.MILLISECONDS)
            .maxDelay(1, TimeUnit.SECONDS)
            .applyAutomaticReconnect()
            .simpleAuth()
            .username("producer")
            .password(password.getBytes(StandardCharsets.UTF_8))
            .applySimpleAuth()
            .buildAsync();
    client
        .connectWith()
        .cleanStart(false)
        .sessionExpiryInterval(600)
        .send()
        .get(10, TimeUnit.SECONDS);
  }

  /** A batch of {@code tags} samples of device {@code device} at time {@code t}. */
  SampleBatch batch(String device, int tags, long t) {
    List<Sample> samples = new ArrayList<>(tags);
    for (int i = 0; i < tags; i++) {
      samples.add(new Sample("tag" + i, t, (double) (t % 100_000) + i, Quality.GOOD));
    }
    return SampleBatch.of(device, seq++, samples, 0);
  }

  /** Publishes without waiting; {@link #awaitAll} waits for every PUBACK. */
  CompletableFuture<?> send(SampleBatch batch) {
    return sendRaw(Topics.telemetry(batch.device()), codec.encode(batch));
  }

  CompletableFuture<?> sendRaw(String topic, byte[] payload) {
    CompletableFuture<?> f =
        client.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(payload).send();
    synchronized (pending) {
      pending.add(f);
    }
    return f;
  }

  /** Waits until the broker acknowledged everything sent so far. */
  void awaitAll(long seconds) throws Exception {
    List<CompletableFuture<?>> all;
    synchronized (pending) {
      all = new ArrayList<>(pending);
      pending.clear();
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(seconds, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws Exception {
    client.disconnect().get(5, TimeUnit.SECONDS);
  }
}
