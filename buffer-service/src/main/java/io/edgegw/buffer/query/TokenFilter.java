package io.edgegw.buffer.query;

import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/** Every {@code /api/} call needs {@code Authorization: Bearer <token>}. */
public class TokenFilter {
  @Inject ApiToken token;

  @ServerRequestFilter
  public Response check(ContainerRequestContext request) {
    String path = request.getUriInfo().getPath();
    if (!path.startsWith("/api/")) {
      return null;
    }
    String problem = token.problem();
    if (problem != null) {
      return error(Response.Status.SERVICE_UNAVAILABLE, problem);
    }
    String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
    String presented =
        header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
            ? header.substring(7).strip()
            : null;
    if (!token.matches(presented)) {
      return Response.status(Response.Status.UNAUTHORIZED)
          .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"buffer\"")
          .type(MediaType.APPLICATION_JSON)
          .entity(new ApiError(presented == null ? "missing bearer token" : "wrong token"))
          .build();
    }
    return null;
  }

  private static Response error(Response.Status status, String reason) {
    return Response.status(status)
        .type(MediaType.APPLICATION_JSON)
        .entity(new ApiError(reason))
        .build();
  }
}
