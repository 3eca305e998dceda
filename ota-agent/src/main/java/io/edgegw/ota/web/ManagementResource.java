package io.edgegw.ota.web;

import io.edgegw.contracts.Status;
import io.edgegw.contracts.Topics;
import io.edgegw.ota.OtaConfig;
import io.edgegw.ota.OtaRuntime;
import io.edgegw.ota.update.StateStore;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.CookieParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.NewCookie;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * The management page's API: login with the token, then the gateway's health, the installed bundle
 * and its history, the device artifacts with every device's downloads, and a restart.
 * State-changing calls need the session cookie (SameSite=Strict, HttpOnly) and the {@code
 * X-Gateway-Request} header, which a cross-site form cannot send.
 */
@Path("/api")
@ApplicationScoped
public class ManagementResource {
  private static final Logger LOG = Logger.getLogger(ManagementResource.class);
  static final String COOKIE = "ota_session";
  static final String CSRF_HEADER = "X-Gateway-Request";

  @Inject OtaConfig config;
  @Inject OtaRuntime runtime;
  @Inject InstantSource clock;

  private Sessions sessions;
  private TokenFile token;

  /** A login request. */
  public record Login(String token) {}

  /** A restart request; no service means the whole stack. */
  public record Restart(String service) {}

  @PostConstruct
  void init() {
    sessions = new Sessions(clock, config.web().sessionTtl());
    token = new TokenFile(config.web().tokenFile());
  }

  @POST
  @Path("/login")
  @Consumes(MediaType.APPLICATION_JSON)
  @Produces(MediaType.APPLICATION_JSON)
  public Response login(Login login, @HeaderParam(CSRF_HEADER) String marker) {
    if (marker == null || login == null || login.token() == null) {
      return Response.status(400).entity(Map.of("error", "send {\"token\": ...} as JSON")).build();
    }
    return sessions
        .login(token.read(), login.token().getBytes(StandardCharsets.UTF_8))
        .map(id -> {
          LOG.info("management page login");
          return Response.ok(Map.of("ok", true))
              .cookie(
                  new NewCookie.Builder(COOKIE)
                      .value(id)
                      .path("/")
                      .httpOnly(true)
                      .sameSite(NewCookie.SameSite.STRICT)
                      .maxAge((int) config.web().sessionTtl().toSeconds())
                      .build())
              .build();
        })
        .orElseGet(() -> {
          LOG.warn("management page login refused: wrong token");
          return Response.status(401).entity(Map.of("error", "wrong token")).build();
        });
  }

  @POST
  @Path("/logout")
  public Response logout(@CookieParam(COOKIE) String session) {
    sessions.logout(session);
    return Response.noContent()
        .cookie(new NewCookie.Builder(COOKIE).value("").path("/").maxAge(0).build())
        .build();
  }

  @GET
  @Path("/overview")
  @Produces(MediaType.APPLICATION_JSON)
  public Response overview(@CookieParam(COOKIE) String session) throws IOException {
    if (!sessions.valid(session)) {
      return Response.status(401).entity(Map.of("error", "log in first")).build();
    }
    Map<String, Object> body = new LinkedHashMap<>();
    Status health = runtime.health().orElse(null);
    body.put("health", health);
    StateStore.Installed installed = runtime.installed();
    body.put("installed", installed.current());
    body.put("history", installed.history());
    body.put("activity", runtime.activity());
    body.put("exportUrl", config.web().exportUrl());
    body.put("artifacts", runtime.artifacts());
    return Response.ok(body).build();
  }

  @POST
  @Path("/restart")
  @Consumes(MediaType.APPLICATION_JSON)
  @Produces(MediaType.APPLICATION_JSON)
  public Response restart(
      Restart restart,
      @CookieParam(COOKIE) String session,
      @HeaderParam(CSRF_HEADER) String marker) {
    if (!sessions.valid(session)) {
      return Response.status(401).entity(Map.of("error", "log in first")).build();
    }
    if (marker == null) {
      return Response.status(403).entity(Map.of("error", "missing " + CSRF_HEADER)).build();
    }
    String service = restart == null || restart.service() == null ? "" : restart.service().strip();
    if (!service.isEmpty() && !service.matches("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}")) {
      return Response.status(400)
          .entity(Map.of("error", "'" + service + "' is not a service name"))
          .build();
    }
    String id = "web-restart-" + UUID.randomUUID();
    LOG.infof(
        "restart of %s requested on the management page (%s)",
        service.isEmpty() ? "the stack" : service, id);
    runtime.restart(id, service, Topics.reply(id));
    return Response.accepted(
            Map.of("commandId", id, "service", service.isEmpty() ? "stack" : service))
        .build();
  }
}
