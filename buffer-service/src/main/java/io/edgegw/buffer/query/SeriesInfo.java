package io.edgegw.buffer.query;

import java.time.Instant;

/**
 * One series of the store.
 *
 * @param id series id, used in the other API calls
 * @param device device id
 * @param tag tag name
 * @param unit engineering unit from devices.yaml, or null
 * @param kind number, boolean or string; null when no value was ever known
 * @param first time of the oldest stored sample, or null when none is stored
 * @param last time of the newest stored sample, or null
 */
public record SeriesInfo(
    int id, String device, String tag, String unit, String kind, Instant first, Instant last) {}
