package io.edgegw.bridge.publish;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class PublishQueueTest {

  private static Outgoing msg(int payloadBytes, int samples) {
    return new Outgoing("t", new byte[payloadBytes], false, samples);
  }

  @Test
  void refusesWhatWouldPassTheBoundAndCountsIt() {
    PublishQueue q = new PublishQueue(2048);
    assertThat(q.offer(msg(999, 10))).isTrue();
    assertThat(q.offer(msg(999, 10))).isTrue();
    assertThat(q.offer(msg(100, 7))).isFalse();
    assertThat(q.refused()).isEqualTo(1);
    assertThat(q.refusedSamples()).isEqualTo(7);
    assertThat(q.bytes()).isEqualTo(2000);
    assertThat(q.depth()).isEqualTo(2);
  }

  @Test
  void inFlightMessagesCountUntilAcknowledged() throws Exception {
    PublishQueue q = new PublishQueue(2048);
    q.offer(msg(999, 1));
    q.offer(msg(999, 1));
    Outgoing first = q.take(1, TimeUnit.SECONDS);
    assertThat(q.offer(msg(100, 1))).as("taken but not acknowledged still counts").isFalse();
    q.acknowledged(first);
    assertThat(q.offer(msg(100, 1))).isTrue();
    assertThat(q.bytes()).isEqualTo(1000 + 101);
  }

  @Test
  void aFailedPublishGoesBackToTheHead() throws Exception {
    PublishQueue q = new PublishQueue(4096);
    Outgoing a = msg(10, 1);
    Outgoing b = msg(20, 1);
    q.offer(a);
    q.offer(b);
    Outgoing taken = q.take(1, TimeUnit.SECONDS);
    assertThat(taken).isSameAs(a);
    q.retry(taken);
    assertThat(q.take(1, TimeUnit.SECONDS)).isSameAs(a);
    assertThat(q.take(1, TimeUnit.SECONDS)).isSameAs(b);
    assertThat(q.depth()).isEqualTo(2);
  }

  @Test
  void takeReturnsNullWhenNothingArrives() throws Exception {
    assertThat(new PublishQueue(4096).take(10, TimeUnit.MILLISECONDS)).isNull();
  }
}
