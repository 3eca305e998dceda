package io.edgegw.ota.update;

import java.util.Objects;

/**
 * The update in progress, written to the state directory before each step so that an agent killed
 * mid-update knows on its next start what may have changed and what to do about it.
 *
 * @param commandId the deploy command
 * @param replyTo where its result goes
 * @param target the bundle being installed
 * @param previous the bundle installed before, or null on a first install
 * @param step the step about to run (or running) when the journal was written
 */
public record Journal(
    String commandId, String replyTo, InstalledBundle target, InstalledBundle previous, Step step) {

  /** Update steps, in order. */
  public enum Step {
    /** Images are being pulled; the running stack is untouched. */
    PULLING,
    /** The new bundle is being applied; the stack may be half old, half new. */
    APPLYING,
    /** The new bundle runs; the health gate decides. */
    HEALTH_GATE,
    /** The previous bundle is being put back. */
    ROLLING_BACK
  }

  public Journal {
    Objects.requireNonNull(commandId, "commandId");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(step, "step");
  }

  /** This journal at another step. */
  public Journal at(Step next) {
    return new Journal(commandId, replyTo, target, previous, next);
  }
}
