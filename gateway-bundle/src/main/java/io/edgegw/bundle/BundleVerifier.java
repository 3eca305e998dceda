package io.edgegw.bundle;

import io.edgegw.bundle.BundleRejectedException.Reason;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides whether a bundle may be applied on this gateway: signed by a trust anchor, unchanged
 * since signing, and every image pinned by digest.
 *
 * <p>A pure function of the bundle and the trust anchors; the first check that fails decides the
 * {@link Reason}, in this order: {@code UNSIGNED}, {@code MALFORMED} signature, {@code
 * UNTRUSTED_KEY}, {@code TAMPERED}, {@code BAD_SIGNATURE}, {@code UNPINNED_IMAGE}, then {@code
 * MALFORMED} when a manifest service is not in the Compose file. Version rules are {@link
 * UpgradePolicy}'s.
 */
public final class BundleVerifier {

  private final Map<String, PublicKey> anchors;

  /**
   * @param trustAnchors the public keys whose signatures are accepted; at least one
   */
  public BundleVerifier(List<PublicKey> trustAnchors) {
    if (trustAnchors.isEmpty()) {
      throw new IllegalArgumentException("a verifier needs at least one trust anchor");
    }
    Map<String, PublicKey> byId = new LinkedHashMap<>();
    for (PublicKey key : trustAnchors) {
      byId.put(Keys.keyId(key), key);
    }
    this.anchors = Map.copyOf(byId);
  }

  /** The ids of the trust anchors. */
  public Set<String> trustedKeyIds() {
    return anchors.keySet();
  }

  /**
   * Returns {@code bundle} when it may be applied.
   *
   * @throws BundleRejectedException with the first reason it may not
   */
  public Bundle verify(Bundle bundle) throws BundleRejectedException {
    checkSignature(
        bundle.signature(),
        bundle.digest(),
        "bundle " + bundle.manifest().version(),
        Bundle.MANIFEST + " or " + Bundle.COMPOSE);
    ComposeFile compose = bundle.composeFile();
    compose.requirePinned(Bundle.COMPOSE);
    List<String> composeServices = compose.serviceNames();
    for (String service : bundle.manifest().services()) {
      if (!composeServices.contains(service)) {
        throw new BundleRejectedException(
            Reason.MALFORMED,
            Bundle.MANIFEST
                + " names service '"
                + service
                + "', which "
                + Bundle.COMPOSE
                + " does not define (it has "
                + composeServices
                + ")");
      }
    }
    return bundle;
  }

  /**
   * Returns {@code artifact} when it is signed by a trust anchor and unchanged since signing.
   *
   * @throws BundleRejectedException UNSIGNED, MALFORMED, UNTRUSTED_KEY, TAMPERED or BAD_SIGNATURE
   */
  public SignedArtifact verify(SignedArtifact artifact) throws BundleRejectedException {
    checkSignature(
        artifact.signature(), artifact.digest(), "artifact " + artifact.name(), artifact.name());
    return artifact;
  }

  private void checkSignature(
      java.util.Optional<byte[]> signatureFile, String digest, String what, String content)
      throws BundleRejectedException {
    if (signatureFile.isEmpty()) {
      throw new BundleRejectedException(Reason.UNSIGNED, what + " has no " + Bundle.SIGNATURE);
    }
    SignatureEnvelope envelope = SignatureEnvelope.parse(signatureFile.get());
    PublicKey key = anchors.get(envelope.keyId());
    if (key == null) {
      throw new BundleRejectedException(
          Reason.UNTRUSTED_KEY,
          what
              + ": "
              + Bundle.SIGNATURE
              + " is by key "
              + envelope.keyId()
              + ", which is not one of the "
              + anchors.size()
              + " trust anchors");
    }
    if (!envelope.digest().equals(digest)) {
      throw new BundleRejectedException(
          Reason.TAMPERED,
          what
              + ": "
              + content
              + " changed after signing: signed digest "
              + envelope.digest()
              + ", content digest "
              + digest);
    }
    if (!signatureHolds(key, digest, envelope.signature())) {
      throw new BundleRejectedException(
          Reason.BAD_SIGNATURE,
          what
              + ": "
              + Bundle.SIGNATURE
              + " does not verify with key "
              + envelope.keyId()
              + " over "
              + digest);
    }
  }

  private static boolean signatureHolds(PublicKey key, String digest, byte[] signature) {
    try {
      Signature verifier = Signature.getInstance(Keys.ALGORITHM);
      verifier.initVerify(key);
      verifier.update(digest.getBytes(StandardCharsets.US_ASCII));
      return verifier.verify(signature);
    } catch (java.security.SignatureException e) {
      return false;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 verification is unavailable", e);
    }
  }
}
