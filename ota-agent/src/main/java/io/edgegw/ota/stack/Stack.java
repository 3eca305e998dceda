package io.edgegw.ota.stack;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The container stack the agent manages. {@link PodmanStack} runs it with podman and
 * podman-compose; unit tests use a recording one.
 */
public interface Stack {

  /** Pulls each image (pinned by digest) into local storage; all or an exception. */
  void pull(List<String> images) throws IOException;

  /**
   * Starts the stack from {@code composeFile} (detached); running containers of it are replaced.
   */
  void up(Path composeFile) throws IOException;

  /** Stops and removes the containers of {@code composeFile}. */
  void down(Path composeFile) throws IOException;

  /** Restarts one service's containers. */
  void restart(String service) throws IOException;

  /** Restarts every container of the stack. */
  void restartAll() throws IOException;

  /** Each service of the stack and whether its container runs. */
  Map<String, Boolean> services() throws IOException;
}
