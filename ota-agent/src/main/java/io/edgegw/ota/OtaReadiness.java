package io.edgegw.ota;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready when the local bus session is up: commands reach the agent only through it. */
@Readiness
@ApplicationScoped
public class OtaReadiness implements HealthCheck {
  @Inject OtaRuntime runtime;

  @Override
  public HealthCheckResponse call() {
    boolean bus = runtime.busConnected();
    return HealthCheckResponse.named(OtaRuntime.COMPONENT)
        .status(bus)
        .withData("localBus", bus ? "connected" : "not connected")
        .build();
  }
}
