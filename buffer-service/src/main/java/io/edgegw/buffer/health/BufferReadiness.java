package io.edgegw.buffer.health;

import io.edgegw.buffer.BufferRuntime;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/** Ready when the bus session is up and the last flush committed; reports the store mode. */
@Readiness
@ApplicationScoped
public class BufferReadiness implements HealthCheck {
  @Inject BufferRuntime runtime;

  @Override
  public HealthCheckResponse call() {
    HealthCheckResponseBuilder b = HealthCheckResponse.named("buffer");
    if (runtime.mode() == null) {
      return b.down().withData("problem", "starting").build();
    }
    b.withData("mode", runtime.mode().label());
    if (runtime.maintenance() != null) {
      b.withData("storeBytes", runtime.maintenance().storeBytes());
    }
    String problem = runtime.problem();
    if (problem != null) {
      return b.down().withData("problem", problem).build();
    }
    return b.up().build();
  }
}
