package io.edgegw.bridge.poll;

import io.edgegw.bridge.modbus.ModbusFault;

/** What a poller reports about itself. Implemented over Micrometer by the service. */
public interface PollMetrics {
  /** One poll of one group took {@code durationNanos}, starting {@code lateNanos} after due. */
  void polled(String device, long durationNanos, long lateNanos);

  /** One Modbus request was sent. */
  void request(String device);

  /** One Modbus request failed. */
  void error(String device, ModbusFault.Kind kind);

  /** A poll was skipped because the previous one overran its interval. */
  void overrun(String device);

  /** Discards everything. */
  PollMetrics NONE =
      new PollMetrics() {
        @Override
        public void polled(String device, long durationNanos, long lateNanos) {}

        @Override
        public void request(String device) {}

        @Override
        public void error(String device, ModbusFault.Kind kind) {}

        @Override
        public void overrun(String device) {}
      };
}
