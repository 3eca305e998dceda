package io.edgegw.contracts;

/** Alarm severity, lowest first. */
public enum Severity {
  INFO,
  WARNING,
  MAJOR,
  CRITICAL
}
