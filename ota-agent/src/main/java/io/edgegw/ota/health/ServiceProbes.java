package io.edgegw.ota.health;

import io.edgegw.contracts.Status;
import io.edgegw.ota.bundle.BundleInfo;
import io.edgegw.ota.stack.Stack;
import io.edgegw.ota.update.HealthGate;
import io.edgegw.ota.update.UpdateFlow;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The health gate's probe of a bundle: every service's container runs, and its manifest check
 * passes: an {@code http(s)://} URL answers 2xx, or {@code status} means its retained {@code
 * gw/v1/status/{service}} is ONLINE and was published after the bundle was applied.
 */
public final class ServiceProbes implements UpdateFlow.ProbeFactory {
  private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(3);

  private final Stack stack;
  private final StatusBoard board;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(HTTP_TIMEOUT)
          .followRedirects(HttpClient.Redirect.NEVER)
          .build();

  public ServiceProbes(Stack stack, StatusBoard board) {
    this.stack = stack;
    this.board = board;
  }

  @Override
  public HealthGate.Probe forBundle(BundleInfo bundle, long appliedAt) {
    return () -> {
      List<String> problems = new ArrayList<>();
      Map<String, Boolean> running;
      try {
        running = stack.services();
      } catch (IOException e) {
        return List.of("cannot list the containers: " + e.getMessage());
      }
      for (String service : bundle.services()) {
        if (!running.getOrDefault(service, false)) {
          problems.add(service + ": container not running");
          continue;
        }
        String check = bundle.healthChecks().get(service);
        if (check == null) {
          continue;
        }
        check(service, check, appliedAt).ifPresent(problems::add);
      }
      return problems;
    };
  }

  private Optional<String> check(String service, String check, long appliedAt) {
    if (check.equals("status")) {
      Optional<Status> s = board.get(service);
      if (s.isEmpty()) {
        return Optional.of(service + ": no status on gw/v1/status/" + service);
      }
      if (s.get().t() < appliedAt) {
        return Optional.of(service + ": no status since the update");
      }
      if (s.get().state() != Status.State.ONLINE) {
        return Optional.of(service + ": status " + s.get().state());
      }
      return Optional.empty();
    }
    try {
      int code =
          http.send(
                  HttpRequest.newBuilder(URI.create(check)).timeout(HTTP_TIMEOUT).GET().build(),
                  HttpResponse.BodyHandlers.discarding())
              .statusCode();
      return code / 100 == 2
          ? Optional.empty()
          : Optional.of(service + ": " + check + " answered " + code);
    } catch (IOException | IllegalArgumentException e) {
      return Optional.of(service + ": " + check + " did not answer (" + e + ")");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.of(service + ": interrupted");
    }
  }
}
