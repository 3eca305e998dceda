package io.edgegw.uplink;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready when the edge store answers and the local bus session is up. A cloud that does not answer
 * is not a reason: offline is uplink's normal state, shown in its status, and it keeps buffering.
 */
@Readiness
@ApplicationScoped
public class UplinkReadiness implements HealthCheck {
  @Inject UplinkRuntime runtime;

  @Override
  public HealthCheckResponse call() {
    boolean db = runtime.databaseReachable();
    boolean bus = runtime.busConnected();
    return HealthCheckResponse.named(UplinkRuntime.COMPONENT)
        .status(db && bus)
        .withData("database", db ? "reachable" : "not reachable")
        .withData("localBus", bus ? "connected" : "not connected")
        .withData("cloudLink", runtime.snapshot().mode().name())
        .build();
  }
}
