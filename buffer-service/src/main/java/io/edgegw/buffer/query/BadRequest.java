package io.edgegw.buffer.query;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** A request the API cannot answer, with the reason and the offending parameter. */
final class BadRequest extends WebApplicationException {
  private static final long serialVersionUID = 1L;

  BadRequest(Response.Status status, String reason) {
    super(
        reason,
        Response.status(status)
            .type(MediaType.APPLICATION_JSON)
            .entity(new ApiError(reason))
            .build());
  }

  static BadRequest of(String reason) {
    return new BadRequest(Response.Status.BAD_REQUEST, reason);
  }
}
