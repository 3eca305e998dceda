package io.edgegw.bridge.health;

import io.edgegw.bridge.BridgeRuntime;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready means: the device configuration is loaded and valid, and the bus session is up. */
@Readiness
@ApplicationScoped
public class BridgeReadiness implements HealthCheck {
  private final BridgeRuntime runtime;

  BridgeReadiness(BridgeRuntime runtime) {
    this.runtime = runtime;
  }

  @Override
  public HealthCheckResponse call() {
    var builder = HealthCheckResponse.named("bridge");
    boolean configured = runtime.devices().isPresent();
    boolean connected = runtime.busConnected();
    builder.withData("configLoaded", configured).withData("busConnected", connected);
    runtime.configError().ifPresent(e -> builder.withData("configError", e));
    runtime.devices().ifPresent(d -> builder.withData("devices", d.devices().size()));
    return builder.status(configured && connected).build();
  }
}
