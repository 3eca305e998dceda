package io.edgegw.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgegw.bundle.BundleRejectedException.Reason;
import io.edgegw.testsupport.FreePorts;
import io.edgegw.testsupport.RegistryServer;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link RegistryClient} against a real {@code docker-registry} on loopback. */
class RegistryClientIT {

  private static RegistryServer registry;
  private static RegistryClient client;
  private static final KeyPair KEY = Keys.generate();

  @TempDir Path tmp;

  @BeforeAll
  static void startRegistry() {
    registry = RegistryServer.start();
    client = new RegistryClient(registry.url());
  }

  @AfterAll
  static void stopRegistry() {
    registry.close();
  }

  @Test
  void aBundleRoundTripsThroughTheRegistry() throws Exception {
    Bundle signed = new BundleSigner(KEY).sign(TestBundles.bundle("1.2.0"));
    String manifestDigest = client.pushBundle("edgegw/stack", "1.2.0", signed);

    assertThat(client.resolveDigest("edgegw/stack", "1.2.0")).isEqualTo(manifestDigest);
    Bundle byTag = client.pullBundle("edgegw/stack", "1.2.0");
    Bundle byDigest = client.pullBundle("edgegw/stack", manifestDigest);
    for (Bundle pulled : List.of(byTag, byDigest)) {
      assertThat(pulled.digest()).isEqualTo(signed.digest());
      assertThat(pulled.compose()).isEqualTo(signed.compose());
      assertThat(pulled.signature().orElseThrow()).isEqualTo(signed.signature().orElseThrow());
      assertThat(new BundleVerifier(List.of(KEY.getPublic())).verify(pulled)).isEqualTo(signed);
    }
    String stored =
        new String(client.pullManifest("edgegw/stack", manifestDigest), StandardCharsets.UTF_8);
    assertThat(stored)
        .contains("\"artifactType\":\"" + RegistryClient.BUNDLE_ARTIFACT_TYPE + "\"")
        .contains("\"org.opencontainers.image.title\":\"compose.yaml\"");
  }

  @Test
  void anUnsignedBundleRoundTripsUnsigned() throws Exception {
    client.pushBundle("edgegw/unsigned", "1.0.0", TestBundles.bundle("1.0.0"));
    Bundle pulled = client.pullBundle("edgegw/unsigned", "1.0.0");
    assertThat(pulled.signature()).isEmpty();
    assertThatThrownBy(() -> new BundleVerifier(List.of(KEY.getPublic())).verify(pulled))
        .isInstanceOfSatisfying(
            BundleRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.UNSIGNED));
  }

  @Test
  void resolvesTheDigestOfAnImageWithRealContent() throws Exception {
    byte[] layer =
        "a root filesystem layer, as far as the registry cares".getBytes(StandardCharsets.UTF_8);
    byte[] config =
        "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}"
            .getBytes(StandardCharsets.UTF_8);
    String layerDigest = client.pushBlob("edgegw/bridge-service", layer);
    String configDigest = client.pushBlob("edgegw/bridge-service", config);
    byte[] manifest =
        ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
                + configDigest
                + "\",\"size\":"
                + config.length
                + "},"
                + "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\""
                + layerDigest
                + "\",\"size\":"
                + layer.length
                + "}]}")
            .getBytes(StandardCharsets.UTF_8);
    String pushed =
        client.putManifest("edgegw/bridge-service", "1.4.0", manifest, RegistryClient.OCI_MANIFEST);

    assertThat(pushed).isEqualTo(Bundle.sha256(manifest));
    assertThat(client.resolveDigest("edgegw/bridge-service", "1.4.0"))
        .isEqualTo(Bundle.sha256(manifest));
    assertThat(client.pullBlob("edgegw/bridge-service", layerDigest, 1024)).isEqualTo(layer);
  }

  @Test
  void unknownTagsAndRepositoriesAre404() {
    assertThatThrownBy(() -> client.resolveDigest("edgegw/nothing-here", "1.0.0"))
        .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.status()).isEqualTo(404))
        .hasMessageContaining("edgegw/nothing-here:1.0.0");
    assertThatThrownBy(() -> client.pullBundle("edgegw/nothing-here", "1.0.0"))
        .isInstanceOfSatisfying(
            RegistryException.class, e -> assertThat(e.status()).isEqualTo(404));
  }

  @Test
  void anArtifactThatIsNotABundleIsMalformed() throws Exception {
    byte[] empty = "{}".getBytes(StandardCharsets.US_ASCII);
    String config = client.pushBlob("edgegw/other", empty);
    byte[] manifest =
        ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"artifactType\":\"application/vnd.example.other\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"digest\":\""
                + config
                + "\",\"size\":2},\"layers\":[]}")
            .getBytes(StandardCharsets.UTF_8);
    client.putManifest("edgegw/other", "1", manifest, RegistryClient.OCI_MANIFEST);
    assertThatThrownBy(() -> client.pullBundle("edgegw/other", "1"))
        .isInstanceOfSatisfying(
            BundleRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.MALFORMED))
        .hasMessageContaining("is not an edgegw bundle");
  }

  @Test
  void layerTitlesThatArePathsAreRejectedAndNothingIsWritten() throws Exception {
    Bundle signed = new BundleSigner(KEY).sign(TestBundles.bundle("1.2.0"));
    for (String title :
        List.of(
            "../compose.yaml",
            "/etc/cron.d/compose.yaml",
            "sub/compose.yaml",
            "..",
            "install.sh")) {
      String tag = "t" + Math.abs(title.hashCode());
      pushWithComposeTitle("edgegw/hostile", tag, signed, title);
      Path target = Files.createDirectories(tmp.resolve(tag).resolve("bundle"));
      assertThatThrownBy(() -> client.pullBundle("edgegw/hostile", tag).write(target))
          .as(title)
          .isInstanceOfSatisfying(
              BundleRejectedException.class,
              e -> assertThat(e.reason()).isEqualTo(Reason.PATH_TRAVERSAL))
          .hasMessageContaining(title);
      try (Stream<Path> written = Files.walk(tmp.resolve(tag))) {
        assertThat(written.map(p -> tmp.relativize(p).toString()).toList())
            .containsExactlyInAnyOrder(tag, tag + "/bundle");
      }
    }
  }

  @Test
  void aBlobChangedInTheRegistryStorageIsTampered() throws Exception {
    Bundle signed = new BundleSigner(KEY).sign(TestBundles.bundle("1.3.0"));
    client.pushBundle("edgegw/tampered", "1.3.0", signed);
    String composeDigest = Bundle.sha256(signed.compose());
    Path data =
        registry
            .storage()
            .resolve("docker/registry/v2/blobs/sha256")
            .resolve(composeDigest.substring(7, 9))
            .resolve(composeDigest.substring(7))
            .resolve("data");
    byte[] changed = Files.readAllBytes(data);
    changed[10] ^= 0x20;
    Files.write(data, changed);
    try {
      assertThatThrownBy(() -> client.pullBundle("edgegw/tampered", "1.3.0"))
          .isInstanceOfSatisfying(
              BundleRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.TAMPERED))
          .hasMessageContaining("compose.yaml");
    } finally {
      changed[10] ^= 0x20;
      Files.write(data, changed);
    }
  }

  @Test
  void aRegistryThatIsDownIsUnavailable() throws Exception {
    RegistryClient nowhere =
        new RegistryClient(URI.create("http://127.0.0.1:" + FreePorts.loopback()));
    assertThatThrownBy(() -> nowhere.pullBundle("edgegw/stack", "1.0.0"))
        .isInstanceOf(RegistryUnavailableException.class)
        .hasMessageContaining("cannot connect to registry");
    assertThatThrownBy(() -> nowhere.resolveDigest("edgegw/stack", "1.0.0"))
        .isInstanceOf(RegistryUnavailableException.class);

    try (RegistryServer stopping = RegistryServer.start()) {
      RegistryClient direct = new RegistryClient(stopping.url());
      direct.pushBundle(
          "edgegw/stack", "1.0.0", new BundleSigner(KEY).sign(TestBundles.bundle("1.0.0")));
      stopping.stop();
      assertThatThrownBy(() -> direct.pullBundle("edgegw/stack", "1.0.0"))
          .isInstanceOf(RegistryUnavailableException.class)
          .isInstanceOf(IOException.class);
      stopping.resume();
      assertThat(direct.pullBundle("edgegw/stack", "1.0.0").manifest().version())
          .isEqualTo("1.0.0");
    }
  }

  @Test
  void aSignedDeviceArtifactRoundTripsAndVerifies() throws Exception {
    byte[] firmware = new byte[200_000];
    new java.util.Random(7).nextBytes(firmware);
    SignedArtifact signed =
        new BundleSigner(KEY)
            .sign(SignedArtifact.of("pump-ctrl-2.1.0.bin", "application/octet-stream", firmware));
    client.pushArtifact("edgegw/firmware/pump", "2.1.0", signed);

    SignedArtifact pulled = client.pullArtifact("edgegw/firmware/pump", "2.1.0", 1 << 20);
    BundleVerifier verifier = new BundleVerifier(List.of(KEY.getPublic()));
    assertThat(verifier.verify(pulled).content()).isEqualTo(firmware);
    assertThat(pulled.name()).isEqualTo("pump-ctrl-2.1.0.bin");
    assertThat(pulled.digest()).isEqualTo(signed.digest());

    assertThatThrownBy(
            () -> new BundleVerifier(List.of(Keys.generate().getPublic())).verify(pulled))
        .isInstanceOfSatisfying(
            BundleRejectedException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.UNTRUSTED_KEY));
    assertThatThrownBy(() -> client.pullArtifact("edgegw/firmware/pump", "2.1.0", 1000))
        .isInstanceOfSatisfying(
            BundleRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.MALFORMED))
        .hasMessageContaining("limit 1000 bytes");
  }

  @Test
  void aRenamedOrUnsignedArtifactIsRejected() throws Exception {
    byte[] model = "weights".getBytes(StandardCharsets.UTF_8);
    SignedArtifact signed =
        new BundleSigner(KEY)
            .sign(SignedArtifact.of("model-a.onnx", "application/octet-stream", model));
    SignedArtifact renamed =
        new SignedArtifact("model-b.onnx", signed.mediaType(), model, signed.signature());
    client.pushArtifact("edgegw/models", "renamed", renamed);
    client.pushArtifact(
        "edgegw/models",
        "unsigned",
        SignedArtifact.of("m.onnx", "application/octet-stream", model));
    BundleVerifier verifier = new BundleVerifier(List.of(KEY.getPublic()));
    assertThatThrownBy(() -> verifier.verify(client.pullArtifact("edgegw/models", "renamed", 1024)))
        .isInstanceOfSatisfying(
            BundleRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.TAMPERED))
        .hasMessageContaining("model-b.onnx changed after signing");
    assertThatThrownBy(
            () -> verifier.verify(client.pullArtifact("edgegw/models", "unsigned", 1024)))
        .isInstanceOfSatisfying(
            BundleRejectedException.class, e -> assertThat(e.reason()).isEqualTo(Reason.UNSIGNED));
  }

  @Test
  void anArtifactLayerTitledWithAPathIsRejected() throws Exception {
    byte[] content = "x".getBytes(StandardCharsets.US_ASCII);
    String config =
        client.pushBlob("edgegw/firmware/evil", "{}".getBytes(StandardCharsets.US_ASCII));
    String blob = client.pushBlob("edgegw/firmware/evil", content);
    for (String title : List.of("../../etc/fw.bin", "/etc/fw.bin", ".hidden")) {
      byte[] manifest =
          ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                  + "\"artifactType\":\""
                  + RegistryClient.ARTIFACT_TYPE
                  + "\","
                  + "\"config\":{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"digest\":\""
                  + config
                  + "\",\"size\":2},\"layers\":[{\"mediaType\":\"application/octet-stream\","
                  + "\"digest\":\""
                  + blob
                  + "\",\"size\":1,\"annotations\":{\""
                  + RegistryClient.TITLE
                  + "\":\""
                  + title
                  + "\"}}]}")
              .getBytes(StandardCharsets.UTF_8);
      client.putManifest("edgegw/firmware/evil", "t1", manifest, RegistryClient.OCI_MANIFEST);
      assertThatThrownBy(() -> client.pullArtifact("edgegw/firmware/evil", "t1", 1024))
          .as(title)
          .isInstanceOfSatisfying(
              BundleRejectedException.class,
              e -> assertThat(e.reason()).isEqualTo(Reason.PATH_TRAVERSAL));
    }
    assertThatThrownBy(() -> SignedArtifact.of("../x.bin", "application/octet-stream", content))
        .hasMessageContaining("must be a file name");
  }

  /** Pushes {@code bundle} as {@link RegistryClient#pushBundle} does, but titles compose.yaml. */
  private static void pushWithComposeTitle(
      String repository, String tag, Bundle bundle, String title) throws IOException {
    String config = client.pushBlob(repository, "{}".getBytes(StandardCharsets.US_ASCII));
    StringBuilder layers = new StringBuilder();
    String[][] files = {
      {Bundle.MANIFEST, RegistryClient.MANIFEST_MEDIA_TYPE},
      {Bundle.COMPOSE, RegistryClient.COMPOSE_MEDIA_TYPE},
      {Bundle.SIGNATURE, RegistryClient.SIGNATURE_MEDIA_TYPE}
    };
    for (String[] file : files) {
      byte[] content = bundle.files().get(file[0]);
      String digest = client.pushBlob(repository, content);
      String name = file[0].equals(Bundle.COMPOSE) ? title : file[0];
      if (layers.length() > 0) {
        layers.append(',');
      }
      layers
          .append("{\"mediaType\":\"")
          .append(file[1])
          .append("\",\"digest\":\"")
          .append(digest)
          .append("\",\"size\":")
          .append(content.length)
          .append(",\"annotations\":{\"org.opencontainers.image.title\":\"")
          .append(name)
          .append("\"}}");
    }
    byte[] manifest =
        ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"artifactType\":\""
                + RegistryClient.BUNDLE_ARTIFACT_TYPE
                + "\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"digest\":\""
                + config
                + "\",\"size\":2},\"layers\":["
                + layers
                + "]}")
            .getBytes(StandardCharsets.UTF_8);
    client.putManifest(repository, tag, manifest, RegistryClient.OCI_MANIFEST);
  }
}
