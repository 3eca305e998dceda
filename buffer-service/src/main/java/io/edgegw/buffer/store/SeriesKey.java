package io.edgegw.buffer.store;

/** A series is one tag of one device. */
public record SeriesKey(String device, String tag) {}
