package io.edgegw.bundle;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.edgegw.bundle.BundleRejectedException.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A client of the Docker distribution v2 HTTP API (what {@code docker-registry}, Harbor, GHCR and
 * other OCI registries serve), with the JDK's HttpClient: resolving tags to digests, and pushing
 * and pulling bundles as OCI artifacts.
 *
 * <p><b>A bundle in the registry</b> is an OCI image manifest ({@value #OCI_MANIFEST}) with {@code
 * artifactType} {@value #BUNDLE_ARTIFACT_TYPE}, the empty config ({@value #EMPTY_CONFIG}, the two
 * bytes {@code {}}), and one layer per bundle file, in {@link Bundle#FILES} order, each with the
 * annotation {@value #TITLE} naming the file:
 *
 * <ul>
 *   <li>{@code manifest.json}: {@value #MANIFEST_MEDIA_TYPE}
 *   <li>{@code compose.yaml}: {@value #COMPOSE_MEDIA_TYPE}
 *   <li>{@code signature.ed25519}: {@value #SIGNATURE_MEDIA_TYPE}
 * </ul>
 *
 * One layer per file means no archive format to unpack on the gateway, so no tar tricks; the title
 * is still checked like a path (no {@code /}, no {@code ..}, only the three names). Every blob is
 * checked against its digest and size after download.
 *
 * <p><b>Errors.</b> Unreachable, timeouts, 5xx and 429 are {@link RegistryUnavailableException}
 * (retry with backoff); other refusals are {@link RegistryException}; bad content is {@link
 * BundleRejectedException}. Plain HTTP is only for registries on loopback or a trusted link; HTTPS
 * is verified by the JDK's trust store (or the given client's) and is never switched off.
 * Registries that require a login are not supported yet.
 */
public final class RegistryClient {

  /** The media type of an OCI image manifest. */
  public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

  /** The artifact type of a bundle. */
  public static final String BUNDLE_ARTIFACT_TYPE = "application/vnd.edgegw.bundle.v1";

  /** The artifact type of a signed device artifact ({@link SignedArtifact}). */
  public static final String ARTIFACT_TYPE = "application/vnd.edgegw.artifact.v1";

  /** The OCI empty descriptor's media type, used as the config of a bundle. */
  public static final String EMPTY_CONFIG = "application/vnd.oci.empty.v1+json";

  /** The layer media type of {@code manifest.json}. */
  public static final String MANIFEST_MEDIA_TYPE = "application/vnd.edgegw.bundle.manifest.v1+json";

  /** The layer media type of {@code compose.yaml}. */
  public static final String COMPOSE_MEDIA_TYPE = "application/vnd.edgegw.bundle.compose.v1+yaml";

  /** The layer media type of {@code signature.ed25519}. */
  public static final String SIGNATURE_MEDIA_TYPE =
      "application/vnd.edgegw.bundle.signature.v1+json";

  /** The OCI annotation that names a layer's file. */
  public static final String TITLE = "org.opencontainers.image.title";

  /** Every manifest type a tag may point at, for resolving image tags. */
  static final String MANIFEST_ACCEPT =
      String.join(
          ", ",
          OCI_MANIFEST,
          "application/vnd.oci.image.index.v1+json",
          "application/vnd.docker.distribution.manifest.v2+json",
          "application/vnd.docker.distribution.manifest.list.v2+json");

  private static final Map<String, String> MEDIA_TYPES =
      Map.of(
          Bundle.MANIFEST, MANIFEST_MEDIA_TYPE,
          Bundle.COMPOSE, COMPOSE_MEDIA_TYPE,
          Bundle.SIGNATURE, SIGNATURE_MEDIA_TYPE);
  private static final byte[] EMPTY_JSON = "{}".getBytes(StandardCharsets.US_ASCII);
  private static final int MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
  private static final Pattern REPOSITORY =
      Pattern.compile(
          "[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*)*");
  private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  private static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(60);
  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private final URI base;
  private final HttpClient http;
  private final Duration requestTimeout;

  /**
   * A client of the registry at {@code base}, e.g. {@code http://127.0.0.1:5000}, with a 5 s
   * connect timeout and 60 s per request.
   */
  public RegistryClient(URI base) {
    this(
        base,
        HttpClient.newBuilder()
            .connectTimeout(DEFAULT_CONNECT_TIMEOUT)
            .followRedirects(HttpClient.Redirect.NORMAL)
            .build(),
        DEFAULT_REQUEST_TIMEOUT);
  }

  /**
   * A client with its own HttpClient (e.g. one with an SSLContext that trusts a private CA).
   *
   * @param requestTimeout the limit of each request, the download of a body included
   */
  public RegistryClient(URI base, HttpClient http, Duration requestTimeout) {
    Objects.requireNonNull(base, "base");
    if (!"http".equals(base.getScheme()) && !"https".equals(base.getScheme())) {
      throw new IllegalArgumentException(
          "registry URL '" + base + "' must start with http:// or https://");
    }
    if (base.getHost() == null) {
      throw new IllegalArgumentException("registry URL '" + base + "' has no host");
    }
    this.base = URI.create(base.getScheme() + "://" + base.getRawAuthority());
    this.http = Objects.requireNonNull(http, "http");
    this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
  }

  /** The registry's base URL ({@code scheme://host:port}). */
  public URI base() {
    return base;
  }

  /**
   * The digest of the manifest that {@code tag} points at, as the registry states it in {@code
   * Docker-Content-Digest} (computed from the body when a registry omits that header).
   *
   * @throws RegistryException 404 when the repository or the tag is unknown
   */
  public String resolveDigest(String repository, String tag) throws IOException {
    checkRepository(repository);
    checkReference(tag);
    HttpRequest head =
        request(manifestUri(repository, tag))
            .method("HEAD", HttpRequest.BodyPublishers.noBody())
            .header("Accept", MANIFEST_ACCEPT)
            .build();
    HttpResponse<InputStream> response = send(head, "resolve " + repository + ":" + tag);
    discard(response);
    expect(response, 200, "resolve " + repository + ":" + tag, "");
    Optional<String> stated = response.headers().firstValue("Docker-Content-Digest");
    if (stated.isPresent() && ImageReference.DIGEST.matcher(stated.get()).matches()) {
      return stated.get();
    }
    HttpRequest get =
        request(manifestUri(repository, tag)).GET().header("Accept", MANIFEST_ACCEPT).build();
    return Bundle.sha256(fetch(get, 200, MAX_MANIFEST_BYTES, "resolve " + repository + ":" + tag));
  }

  /**
   * Pushes a bundle as an OCI artifact (blobs first, then the manifest under {@code tag}).
   *
   * @return the digest of the pushed OCI manifest, which pins exactly this bundle
   */
  public String pushBundle(String repository, String tag, Bundle bundle) throws IOException {
    checkRepository(repository);
    checkTag(tag);
    ObjectNode manifest = MAPPER.createObjectNode();
    manifest.put("schemaVersion", 2);
    manifest.put("mediaType", OCI_MANIFEST);
    manifest.put("artifactType", BUNDLE_ARTIFACT_TYPE);
    manifest.set(
        "config", descriptor(EMPTY_CONFIG, pushBlob(repository, EMPTY_JSON), EMPTY_JSON.length));
    ArrayNode layers = manifest.putArray("layers");
    for (Map.Entry<String, byte[]> file : bundle.files().entrySet()) {
      ObjectNode layer =
          descriptor(
              MEDIA_TYPES.get(file.getKey()),
              pushBlob(repository, file.getValue()),
              file.getValue().length);
      layer.putObject("annotations").put(TITLE, file.getKey());
      layers.add(layer);
    }
    ObjectNode annotations = manifest.putObject("annotations");
    annotations.put("io.edgegw.bundle.version", bundle.manifest().version());
    annotations.put("io.edgegw.bundle.digest", bundle.digest());
    annotations.put("org.opencontainers.image.created", bundle.manifest().created().toString());
    return putManifest(repository, tag, MAPPER.writeValueAsBytes(manifest), OCI_MANIFEST);
  }

  /**
   * Pulls a bundle pushed by {@link #pushBundle}; it is not verified here (that is {@link
   * BundleVerifier}'s job), only checked to be well-formed and intact.
   *
   * @param reference a tag, or a manifest digest {@code sha256:...} (then the manifest must match)
   * @throws BundleRejectedException {@link Reason#MALFORMED} for a manifest that is not a bundle or
   *     an oversized file, {@link Reason#PATH_TRAVERSAL} for a layer titled with a path or an
   *     unexpected name, {@link Reason#TAMPERED} for content that does not match its digest
   * @throws RegistryUnavailableException when the registry cannot be reached or answers 5xx
   * @throws RegistryException when it refuses (e.g. 404 for an unknown tag)
   */
  public Bundle pullBundle(String repository, String reference)
      throws IOException, BundleRejectedException {
    checkRepository(repository);
    checkReference(reference);
    String where =
        base.getRawAuthority()
            + "/"
            + repository
            + (reference.startsWith("sha256:") ? "@" : ":")
            + reference;
    JsonNode layers =
        fetchArtifactManifest(
            repository, reference, BUNDLE_ARTIFACT_TYPE, "an edgegw bundle", where);
    Map<String, byte[]> files = new LinkedHashMap<>();
    for (JsonNode layer : layers) {
      String title = layer.path("annotations").path(TITLE).textValue();
      checkTitle(title, where);
      if (files.containsKey(title)) {
        throw new BundleRejectedException(
            Reason.MALFORMED, where + ": two layers are titled " + title);
      }
      byte[] content = fetchLayer(repository, layer, limitOf(title), where, title);
      files.put(title, content);
    }
    if (!files.containsKey(Bundle.MANIFEST) || !files.containsKey(Bundle.COMPOSE)) {
      throw new BundleRejectedException(
          Reason.MALFORMED,
          where
              + " lacks "
              + (files.containsKey(Bundle.MANIFEST) ? Bundle.COMPOSE : Bundle.MANIFEST));
    }
    return Bundle.fromFiles(
        files.get(Bundle.MANIFEST),
        files.get(Bundle.COMPOSE),
        Optional.ofNullable(files.get(Bundle.SIGNATURE)),
        where);
  }

  /**
   * Pushes a device artifact (firmware, a model) as an OCI artifact of type {@value
   * #ARTIFACT_TYPE}: one layer with the content, titled with its name and of its media type, and a
   * {@value #SIGNATURE_MEDIA_TYPE} layer titled {@code signature.ed25519} when it is signed.
   *
   * @return the digest of the pushed OCI manifest
   */
  public String pushArtifact(String repository, String tag, SignedArtifact artifact)
      throws IOException {
    checkRepository(repository);
    checkTag(tag);
    ObjectNode manifest = MAPPER.createObjectNode();
    manifest.put("schemaVersion", 2);
    manifest.put("mediaType", OCI_MANIFEST);
    manifest.put("artifactType", ARTIFACT_TYPE);
    manifest.set(
        "config", descriptor(EMPTY_CONFIG, pushBlob(repository, EMPTY_JSON), EMPTY_JSON.length));
    ArrayNode layers = manifest.putArray("layers");
    byte[] content = artifact.content();
    ObjectNode contentLayer =
        descriptor(artifact.mediaType(), pushBlob(repository, content), content.length);
    contentLayer.putObject("annotations").put(TITLE, artifact.name());
    layers.add(contentLayer);
    if (artifact.signature().isPresent()) {
      byte[] signature = artifact.signature().get();
      ObjectNode signatureLayer =
          descriptor(SIGNATURE_MEDIA_TYPE, pushBlob(repository, signature), signature.length);
      signatureLayer.putObject("annotations").put(TITLE, Bundle.SIGNATURE);
      layers.add(signatureLayer);
    }
    manifest.putObject("annotations").put("io.edgegw.artifact.digest", artifact.digest());
    return putManifest(repository, tag, MAPPER.writeValueAsBytes(manifest), OCI_MANIFEST);
  }

  /**
   * Pulls a device artifact pushed by {@link #pushArtifact}; checked to be intact, not verified.
   *
   * @param maxBytes the largest content accepted (it is held in memory)
   * @throws BundleRejectedException {@link Reason#PATH_TRAVERSAL} for a title that is a path or not
   *     a plain file name, {@link Reason#MALFORMED} for a manifest that is not an artifact or
   *     content above {@code maxBytes}, {@link Reason#TAMPERED} for a blob that does not match its
   *     digest
   */
  public SignedArtifact pullArtifact(String repository, String reference, int maxBytes)
      throws IOException, BundleRejectedException {
    checkRepository(repository);
    checkReference(reference);
    String where =
        base.getRawAuthority()
            + "/"
            + repository
            + (reference.startsWith("sha256:") ? "@" : ":")
            + reference;
    JsonNode layers =
        fetchArtifactManifest(repository, reference, ARTIFACT_TYPE, "an edgegw artifact", where);
    JsonNode contentLayer = null;
    JsonNode signatureLayer = null;
    for (JsonNode layer : layers) {
      String title = layer.path("annotations").path(TITLE).textValue();
      checkPathLike(title, where);
      if (Bundle.SIGNATURE.equals(title) && signatureLayer == null) {
        signatureLayer = layer;
      } else if (!Bundle.SIGNATURE.equals(title) && contentLayer == null) {
        if (!SignedArtifact.NAME.matcher(title).matches()) {
          throw new BundleRejectedException(
              Reason.PATH_TRAVERSAL,
              where + ": layer titled '" + title + "' is not a plain file name");
        }
        contentLayer = layer;
      } else {
        throw new BundleRejectedException(
            Reason.MALFORMED,
            where + ": an artifact has one content layer and at most one signature");
      }
    }
    if (contentLayer == null) {
      throw new BundleRejectedException(
          Reason.MALFORMED, where + ": the artifact has no content layer");
    }
    String name = contentLayer.path("annotations").path(TITLE).textValue();
    byte[] content = fetchLayer(repository, contentLayer, maxBytes, where, name);
    Optional<byte[]> signature = Optional.empty();
    if (signatureLayer != null) {
      signature =
          Optional.of(
              fetchLayer(
                  repository, signatureLayer, Bundle.MAX_SIGNATURE_BYTES, where, Bundle.SIGNATURE));
    }
    try {
      return new SignedArtifact(
          name, contentLayer.path("mediaType").asText(""), content, signature);
    } catch (IllegalArgumentException e) {
      throw new BundleRejectedException(Reason.MALFORMED, where + ": " + e.getMessage(), e);
    }
  }

  /** Fetches an OCI manifest of the given artifact type and returns its layers. */
  private JsonNode fetchArtifactManifest(
      String repository, String reference, String artifactType, String what, String where)
      throws IOException, BundleRejectedException {
    byte[] body =
        fetch(
            request(manifestUri(repository, reference))
                .GET()
                .header("Accept", OCI_MANIFEST)
                .build(),
            200,
            MAX_MANIFEST_BYTES,
            "pull " + where);
    if (reference.startsWith("sha256:") && !Bundle.sha256(body).equals(reference)) {
      throw new BundleRejectedException(
          Reason.TAMPERED, where + ": the registry's manifest has digest " + Bundle.sha256(body));
    }
    JsonNode manifest;
    try {
      manifest = MAPPER.readTree(body);
    } catch (IOException e) {
      throw new BundleRejectedException(
          Reason.MALFORMED, where + ": the OCI manifest is not JSON: " + e.getMessage(), e);
    }
    if (manifest == null
        || !manifest.path("mediaType").asText(OCI_MANIFEST).equals(OCI_MANIFEST)
        || !artifactType.equals(manifest.path("artifactType").textValue())) {
      throw new BundleRejectedException(
          Reason.MALFORMED,
          where
              + " is not "
              + what
              + " (expected an OCI manifest with artifactType "
              + artifactType
              + ")");
    }
    JsonNode layers = manifest.path("layers");
    if (!layers.isArray()) {
      throw new BundleRejectedException(Reason.MALFORMED, where + ": the manifest has no layers");
    }
    return layers;
  }

  /** Downloads one layer, checking its declared size against the limit, then its digest. */
  private byte[] fetchLayer(
      String repository, JsonNode layer, int limit, String where, String title)
      throws IOException, BundleRejectedException {
    String digest = layer.path("digest").textValue();
    long size = layer.path("size").asLong(-1);
    if (digest == null || !ImageReference.DIGEST.matcher(digest).matches()) {
      throw new BundleRejectedException(
          Reason.MALFORMED, where + ": layer " + title + " has no sha256 digest");
    }
    if (size < 0 || size > limit) {
      throw new BundleRejectedException(
          Reason.MALFORMED,
          where + ": layer " + title + " has size " + size + ", limit " + limit + " bytes");
    }
    byte[] content = fetchBlob(repository, digest, limit, where + " " + title);
    if (content.length != size || !Bundle.sha256(content).equals(digest)) {
      throw new BundleRejectedException(
          Reason.TAMPERED,
          where
              + ": blob of "
              + title
              + " does not match its digest "
              + digest
              + " and size "
              + size);
    }
    return content;
  }

  /**
   * Uploads a blob unless the repository has it already (monolithic upload: POST then PUT).
   *
   * @return its digest
   */
  public String pushBlob(String repository, byte[] content) throws IOException {
    checkRepository(repository);
    String digest = Bundle.sha256(content);
    String what = "push blob " + digest + " to " + repository;
    HttpResponse<InputStream> exists =
        send(
            request(uri("/v2/" + repository + "/blobs/" + digest))
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .build(),
            what);
    discard(exists);
    if (exists.statusCode() == 200) {
      return digest;
    }
    HttpResponse<InputStream> started =
        send(
            request(uri("/v2/" + repository + "/blobs/uploads/"))
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            what);
    String startError = errorText(started);
    expect(started, 202, what, startError);
    String location =
        started
            .headers()
            .firstValue("Location")
            .orElseThrow(
                () -> new RegistryException(202, what + ": the registry gave no upload Location"));
    URI upload = base.resolve(location);
    String query = (upload.getRawQuery() == null ? "?" : "&") + "digest=" + digest;
    HttpResponse<InputStream> put =
        send(
            request(URI.create(upload + query))
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(content))
                .build(),
            what);
    String putError = errorText(put);
    expect(put, 201, what, putError);
    return digest;
  }

  /**
   * Puts a manifest under a tag (or digest).
   *
   * @return the manifest's digest
   */
  public String putManifest(String repository, String reference, byte[] manifest, String mediaType)
      throws IOException {
    checkRepository(repository);
    checkReference(reference);
    String what = "push manifest " + repository + ":" + reference;
    HttpResponse<InputStream> response =
        send(
            request(manifestUri(repository, reference))
                .header("Content-Type", mediaType)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(manifest))
                .build(),
            what);
    String error = errorText(response);
    expect(response, 201, what, error);
    return Bundle.sha256(manifest);
  }

  /**
   * The raw OCI or Docker manifest under a tag or digest, checked against the digest when the
   * reference is one.
   */
  public byte[] pullManifest(String repository, String reference) throws IOException {
    checkRepository(repository);
    checkReference(reference);
    byte[] body =
        fetch(
            request(manifestUri(repository, reference))
                .GET()
                .header("Accept", MANIFEST_ACCEPT)
                .build(),
            200,
            MAX_MANIFEST_BYTES,
            "pull manifest " + repository + " " + reference);
    if (reference.startsWith("sha256:") && !Bundle.sha256(body).equals(reference)) {
      throw new IOException(repository + " manifest " + reference + " does not match its digest");
    }
    return body;
  }

  /**
   * Downloads a blob, at most {@code limit} bytes, and checks it against its digest.
   *
   * @throws RegistryException 404 when the repository does not have it
   */
  public byte[] pullBlob(String repository, String digest, int limit) throws IOException {
    byte[] content = fetchBlob(repository, digest, limit, "pull blob " + digest);
    if (!Bundle.sha256(content).equals(digest)) {
      throw new IOException(repository + " blob " + digest + " does not match its digest");
    }
    return content;
  }

  private byte[] fetchBlob(String repository, String digest, int limit, String what)
      throws IOException {
    checkRepository(repository);
    if (!ImageReference.DIGEST.matcher(digest).matches()) {
      throw new IllegalArgumentException("'" + digest + "' is not a sha256 digest");
    }
    return fetch(
        request(uri("/v2/" + repository + "/blobs/" + digest)).GET().build(), 200, limit, what);
  }

  private static int limitOf(String title) {
    return switch (title) {
      case Bundle.MANIFEST -> Bundle.MAX_MANIFEST_BYTES;
      case Bundle.COMPOSE -> Bundle.MAX_COMPOSE_BYTES;
      case Bundle.SIGNATURE -> Bundle.MAX_SIGNATURE_BYTES;
      default -> throw new IllegalArgumentException(title);
    };
  }

  private static void checkTitle(String title, String where) throws BundleRejectedException {
    checkPathLike(title, where);
    if (!Bundle.FILES.contains(title)) {
      throw new BundleRejectedException(
          Reason.PATH_TRAVERSAL,
          where + ": unexpected layer '" + title + "'; a bundle holds only " + Bundle.FILES);
    }
  }

  private static void checkPathLike(String title, String where) throws BundleRejectedException {
    if (title == null || title.isEmpty()) {
      throw new BundleRejectedException(
          Reason.MALFORMED, where + ": a layer has no " + TITLE + " annotation");
    }
    if (title.startsWith("/")
        || title.contains("..")
        || title.contains("/")
        || title.contains("\\")
        || title.indexOf('\0') >= 0) {
      throw new BundleRejectedException(
          Reason.PATH_TRAVERSAL,
          where + ": layer titled '" + title + "' is a path, not a file name");
    }
  }

  private static ObjectNode descriptor(String mediaType, String digest, long size) {
    ObjectNode node = MAPPER.createObjectNode();
    node.put("mediaType", mediaType);
    node.put("digest", digest);
    node.put("size", size);
    return node;
  }

  private byte[] fetch(HttpRequest request, int expected, int limit, String what)
      throws IOException {
    HttpResponse<InputStream> response = send(request, what);
    if (response.statusCode() != expected) {
      String error = errorText(response);
      expect(response, expected, what, error);
    }
    try (InputStream in = response.body()) {
      byte[] bytes = in.readNBytes(limit + 1);
      if (bytes.length > limit) {
        throw new IOException(what + ": the registry sent more than " + limit + " bytes");
      }
      return bytes;
    } catch (HttpTimeoutException e) {
      throw new RegistryUnavailableException(what + ": timed out reading from " + base, e);
    }
  }

  private HttpResponse<InputStream> send(HttpRequest request, String what) throws IOException {
    HttpResponse<InputStream> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
    } catch (ConnectException e) {
      throw new RegistryUnavailableException(what + ": cannot connect to registry " + base, e);
    } catch (HttpTimeoutException e) {
      throw new RegistryUnavailableException(what + ": registry " + base + " timed out", e);
    } catch (IOException e) {
      throw new RegistryUnavailableException(
          what + ": registry " + base + " failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException(what + ": interrupted");
    }
    int status = response.statusCode();
    if (status >= 500 || status == 429) {
      String error = errorText(response);
      throw new RegistryUnavailableException(
          what
              + ": registry "
              + base
              + " answered "
              + status
              + (error.isEmpty() ? "" : ": " + error));
    }
    return response;
  }

  private void expect(HttpResponse<InputStream> response, int expected, String what, String error)
      throws RegistryException {
    int status = response.statusCode();
    if (status == expected) {
      return;
    }
    String hint =
        switch (status) {
          case 401, 403 ->
              " (the registry requires a login, which gwctl and ota-agent do not support yet)";
          case 404 -> " (not found)";
          default -> "";
        };
    throw new RegistryException(
        status,
        what
            + ": registry "
            + base
            + " answered "
            + status
            + hint
            + (error.isEmpty() ? "" : ": " + error));
  }

  /** The registry's error body, shortened, for messages; reads and closes the body. */
  private static String errorText(HttpResponse<InputStream> response) {
    if (response.statusCode() < 300) {
      return "";
    }
    try (InputStream in = response.body()) {
      String text = new String(in.readNBytes(512), StandardCharsets.UTF_8).strip();
      return text.replaceAll("\\s+", " ");
    } catch (IOException e) {
      return "";
    }
  }

  private static void discard(HttpResponse<InputStream> response) {
    try (InputStream in = response.body()) {
      in.skip(Long.MAX_VALUE);
    } catch (IOException e) {
      // a HEAD or an upload answer has no body worth reading
    }
  }

  private HttpRequest.Builder request(URI uri) {
    return HttpRequest.newBuilder(uri).timeout(requestTimeout);
  }

  private URI manifestUri(String repository, String reference) {
    return uri("/v2/" + repository + "/manifests/" + reference);
  }

  private URI uri(String path) {
    return base.resolve(path);
  }

  private static void checkRepository(String repository) {
    if (repository == null || !REPOSITORY.matcher(repository).matches()) {
      throw new IllegalArgumentException(
          "'" + repository + "' is not a repository name (lower-case path such as edgegw/bundle)");
    }
  }

  private static void checkTag(String tag) {
    if (tag == null || !TAG.matcher(tag).matches()) {
      throw new IllegalArgumentException(
          "'" + tag + "' is not a tag (letters, digits, '_', '.', '-')");
    }
  }

  private static void checkReference(String reference) {
    if (reference != null && reference.startsWith("sha256:")) {
      if (!ImageReference.DIGEST.matcher(reference).matches()) {
        throw new IllegalArgumentException("'" + reference + "' is not a sha256 digest");
      }
      return;
    }
    checkTag(reference);
  }
}
