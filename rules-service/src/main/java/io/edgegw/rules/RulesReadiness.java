package io.edgegw.rules;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready when the rule set is loaded, the bus session is up and alarm states are restored. FAULTED
 * rules are reported but do not make the service unready: the other rules keep running.
 */
@Readiness
@ApplicationScoped
public class RulesReadiness implements HealthCheck {
  @Inject RulesRuntime runtime;

  @Override
  public HealthCheckResponse call() {
    HealthCheckResponseBuilder b = HealthCheckResponse.named("rules");
    var faulted = runtime.faulted();
    if (!faulted.isEmpty()) {
      b.withData("faulted", String.join(", ", faulted.keySet()));
    }
    String problem = runtime.problem();
    if (problem != null) {
      return b.down().withData("problem", problem).build();
    }
    return b.up().build();
  }
}
