package io.edgegw.ota;

import io.quarkus.arc.DefaultBean;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import java.time.InstantSource;

/** The agent's time. Tests replace it with a controllable clock. */
public class ClockProducer {
  @Produces
  @ApplicationScoped
  @DefaultBean
  InstantSource clock() {
    return InstantSource.system();
  }
}
