package io.edgegw.bridge.write;

import io.edgegw.bridge.DeviceSpec;
import io.edgegw.bridge.TagSpec;

/**
 * A validated write: what to put where.
 *
 * @param device target device
 * @param tag target tag
 * @param value the engineering value, of the tag's Java type (Boolean, Number or String)
 */
public record WritePlan(DeviceSpec device, TagSpec tag, Object value) {}
