package io.edgegw.ota.podman;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Small images built here, since no public image can be pulled: {@code FROM scratch} with Debian's
 * static busybox, serving {@code /www} (a {@code ready} file and a {@code version} file) with
 * {@code busybox httpd} on port 8080. Built with podman and pushed to the test registry; the
 * references returned are pinned by digest.
 */
public final class TestImages {
  private TestImages() {}

  /** Runs podman with the project's containers.conf; fails with the output on a non-zero exit. */
  public static String podman(Path containersConf, List<String> args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add("podman");
    command.addAll(args);
    ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true);
    b.environment().put("CONTAINERS_CONF", containersConf.toString());
    Process p = b.start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("podman " + args + " failed: " + out);
    }
    return out;
  }

  /**
   * Builds and pushes {@code <registry>/<repository>:<version>} whose {@code /www/version} holds
   * {@code version}.
   *
   * @return the reference pinned by digest
   */
  public static String buildAndPush(
      Path containersConf, TlsRegistry registry, Path work, String repository, String version)
      throws IOException, InterruptedException {
    Path busybox = Path.of("/bin/busybox");
    if (!Files.isRegularFile(busybox) || Files.size(busybox) < 1_000_000) {
      throw new IllegalStateException(
          "no static /bin/busybox; install the Debian package busybox-static");
    }
    Path ctx = Files.createDirectories(work.resolve("image-" + version));
    Path bin = Files.createDirectories(ctx.resolve("rootfs/bin"));
    Files.copy(busybox, bin.resolve("busybox"));
    for (String applet : List.of("sh", "httpd")) {
      Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
    }
    Path www = Files.createDirectories(ctx.resolve("rootfs/www"));
    Files.writeString(www.resolve("ready"), "ok\n");
    Files.writeString(www.resolve("version"), version + "\n");
    Files.createDirectories(ctx.resolve("rootfs/empty"));
    Files.writeString(
        ctx.resolve("Containerfile"),
        "FROM scratch\nCOPY rootfs /\nCMD [\"/bin/httpd\", \"-f\", \"-p\", \"8080\", \"-h\", \"/www\"]\n");
    String tag = registry.host() + "/" + repository + ":" + version;
    podman(containersConf, List.of("build", "-q", "-t", tag, ctx.toString()));
    Path digestFile = work.resolve("digest-" + version);
    podman(
        containersConf,
        List.of(
            "push", "-q", "--cert-dir=" + registry.certDir(), "--digestfile=" + digestFile, tag));
    String digest = Files.readString(digestFile).strip();
    // Remove the local copy, so that the agent's pull by digest is what brings it back.
    podman(containersConf, List.of("rmi", "-f", tag));
    return registry.host() + "/" + repository + "@" + digest;
  }
}
