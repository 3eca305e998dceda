package io.edgegw.buffer.query;

/** The body of every error response of the query API. */
public record ApiError(String error) {}
