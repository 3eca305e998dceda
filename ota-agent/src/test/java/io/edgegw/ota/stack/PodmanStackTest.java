package io.edgegw.ota.stack;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PodmanStackTest {
  @Test
  void aFailedPodmanRunIsFoundInPodmanComposeOutput() {
    String output =
        """
        ['podman', '--version', '']
        using podman version: 4.3.1
        podman stop -t 10 edgegw_web_1
        Error: no container with name or ID "edgegw_web_1" found: no such container
        exit code: 125
        podman run --name=edgegw_web_1 -d 127.0.0.1:5000/web@sha256:abc
        Error: initializing source: pinging container registry
        exit code: 125
        podman start edgegw_web_1
        exit code: 125
        """;
    assertThat(PodmanStack.failedRun(output))
        .hasValueSatisfying(s ->
            assertThat(s).startsWith("podman run --name=edgegw_web_1").endsWith("exit code: 125"));
  }

  @Test
  void cleanupFailuresAloneAreNoFailure() {
    String output =
        """
        podman stop -t 10 edgegw_web_1
        exit code: 125
        podman run --name=edgegw_web_1 -d 127.0.0.1:5000/web@sha256:abc
        5a3a42a2fbdb
        exit code: 0
        """;
    assertThat(PodmanStack.failedRun(output)).isEmpty();
  }
}
