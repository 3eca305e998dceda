package io.edgegw.bundle;

import io.edgegw.bundle.BundleRejectedException.Reason;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.Signature;
import java.util.Objects;

/**
 * Signs bundles with one Ed25519 key: a detached signature over the bundle's {@linkplain
 * Bundle#digest() digest}.
 *
 * <p>It refuses to sign a bundle a gateway would refuse to apply (an image not pinned by digest),
 * so that an operator learns about it at signing time rather than from the fleet.
 */
public final class BundleSigner {

  private final KeyPair key;
  private final String keyId;

  /**
   * @param key an Ed25519 pair, e.g. from {@link Keys#readSigningKey}
   */
  public BundleSigner(KeyPair key) {
    this.key = Objects.requireNonNull(key, "key");
    if (!Keys.ALGORITHM.equalsIgnoreCase(key.getPrivate().getAlgorithm())
        && !"EdDSA".equalsIgnoreCase(key.getPrivate().getAlgorithm())) {
      throw new IllegalArgumentException(
          "bundle keys are Ed25519, not " + key.getPrivate().getAlgorithm());
    }
    this.keyId = Keys.keyId(key.getPublic());
  }

  /** The id of the key that signs, {@code sha256:<hex>}. */
  public String keyId() {
    return keyId;
  }

  /**
   * The bundle with its signature attached (any previous one is replaced).
   *
   * @throws BundleRejectedException {@link Reason#UNPINNED_IMAGE} when an image is not pinned
   */
  public Bundle sign(Bundle bundle) throws BundleRejectedException {
    bundle.composeFile().requirePinned(Bundle.COMPOSE);
    return signUnchecked(bundle);
  }

  /** The artifact with its signature attached (any previous one is replaced). */
  public SignedArtifact sign(SignedArtifact artifact) {
    String digest = artifact.digest();
    return artifact.withSignature(new SignatureEnvelope(keyId, digest, rawSign(digest)).toJson());
  }

  /** Signs without the pinning check: only for tests that need a signed hostile bundle. */
  Bundle signUnchecked(Bundle bundle) {
    String digest = bundle.digest();
    return bundle.withSignature(new SignatureEnvelope(keyId, digest, rawSign(digest)).toJson());
  }

  private byte[] rawSign(String digest) {
    try {
      Signature signer = Signature.getInstance(Keys.ALGORITHM);
      signer.initSign(key.getPrivate());
      signer.update(digest.getBytes(StandardCharsets.US_ASCII));
      return signer.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 signing failed with a checked key", e);
    }
  }
}
