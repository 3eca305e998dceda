package io.edgegw.bundle;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Ed25519 signing keys in PEM files, with the JDK's own Ed25519.
 *
 * <ul>
 *   <li>{@code NAME.key}: the signing key, mode 0600. It holds the PKCS#8 {@code PRIVATE KEY} and
 *       the matching {@code PUBLIC KEY} block, because the JDK cannot derive an Ed25519 public key
 *       from the private one and a signature names its key by the public key's id.
 *   <li>{@code NAME.pub}: the public key (X.509 {@code PUBLIC KEY}), which is what a gateway keeps
 *       in its trust-anchor directory.
 * </ul>
 *
 * A key's id is {@code sha256:<hex>} of its X.509 encoding; signatures name it, so a verifier can
 * tell an untrusted key from a bad signature.
 */
public final class Keys {

  /** The algorithm of every bundle key. */
  public static final String ALGORITHM = "Ed25519";

  private static final Pattern PEM =
      Pattern.compile("-----BEGIN ([A-Z ]+)-----\\s*([A-Za-z0-9+/=\\s]+?)\\s*-----END \\1-----");
  private static final Set<PosixFilePermission> OWNER_ONLY =
      EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
  private static final Pattern KEY_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

  private Keys() {}

  /** A fresh Ed25519 key pair. */
  public static KeyPair generate() {
    try {
      return KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JDK has no Ed25519 (Java 15 or later has)", e);
    }
  }

  /**
   * Generates a key pair into {@code dir} as {@code name.key} (mode 0600) and {@code name.pub}.
   *
   * @return the key pair written
   * @throws FileAlreadyExistsException when either file exists: keys are never overwritten
   */
  public static KeyPair generate(Path dir, String name) throws IOException {
    if (!KEY_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "key name '" + name + "' must be letters, digits, '.', '_' or '-' (at most 64)");
    }
    Files.createDirectories(dir);
    Path keyFile = dir.resolve(name + ".key");
    Path pubFile = dir.resolve(name + ".pub");
    if (Files.exists(keyFile, LinkOption.NOFOLLOW_LINKS)) {
      throw new FileAlreadyExistsException(keyFile.toString(), null, "a key is never overwritten");
    }
    if (Files.exists(pubFile, LinkOption.NOFOLLOW_LINKS)) {
      throw new FileAlreadyExistsException(pubFile.toString(), null, "a key is never overwritten");
    }
    KeyPair pair = generate();
    String publicPem = pem("PUBLIC KEY", pair.getPublic().getEncoded());
    // Created with 0600 from the start: never a moment where the key is readable by others.
    Files.createFile(keyFile, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
    Files.writeString(
        keyFile,
        pem("PRIVATE KEY", pair.getPrivate().getEncoded()) + publicPem,
        StandardCharsets.US_ASCII,
        StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING,
        LinkOption.NOFOLLOW_LINKS);
    Files.writeString(pubFile, publicPem, StandardCharsets.US_ASCII, StandardOpenOption.CREATE_NEW);
    return pair;
  }

  /**
   * Reads a signing key file written by {@link #generate(Path, String)}.
   *
   * @throws IOException naming the file when it is readable by group or others, lacks either block
   *     or holds something other than an Ed25519 pair that belongs together
   */
  public static KeyPair readSigningKey(Path keyFile) throws IOException {
    Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(keyFile);
    if (!OWNER_ONLY.containsAll(permissions)) {
      throw new IOException(
          "signing key "
              + keyFile
              + " has mode "
              + PosixFilePermissions.toString(permissions)
              + "; it must be readable by its owner only (chmod 600)");
    }
    String text = Files.readString(keyFile, StandardCharsets.US_ASCII);
    byte[] privateDer = block(text, "PRIVATE KEY", keyFile);
    byte[] publicDer = block(text, "PUBLIC KEY", keyFile);
    try {
      KeyFactory factory = KeyFactory.getInstance(ALGORITHM);
      PrivateKey privateKey = factory.generatePrivate(new PKCS8EncodedKeySpec(privateDer));
      PublicKey publicKey = factory.generatePublic(new X509EncodedKeySpec(publicDer));
      KeyPair pair = new KeyPair(publicKey, privateKey);
      if (!matches(pair)) {
        throw new IOException(
            "signing key " + keyFile + ": its PUBLIC KEY block does not belong to its PRIVATE KEY");
      }
      return pair;
    } catch (GeneralSecurityException e) {
      throw new IOException(
          "signing key " + keyFile + " is not an Ed25519 key: " + e.getMessage(), e);
    }
  }

  /**
   * Reads a public key file ({@code PUBLIC KEY} PEM).
   *
   * @throws IOException naming the file when it holds no Ed25519 public key
   */
  public static PublicKey readPublicKey(Path pubFile) throws IOException {
    byte[] der = block(Files.readString(pubFile, StandardCharsets.US_ASCII), "PUBLIC KEY", pubFile);
    try {
      return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(der));
    } catch (GeneralSecurityException e) {
      throw new IOException(
          "public key " + pubFile + " is not an Ed25519 key: " + e.getMessage(), e);
    }
  }

  /**
   * Reads every {@code *.pub} file of a trust-anchor directory, in name order.
   *
   * @throws IOException when the directory holds no public key, or a {@code .pub} file is not one
   */
  public static List<PublicKey> readTrustAnchors(Path dir) throws IOException {
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "*.pub")) {
      entries.forEach(files::add);
    }
    files.sort(null);
    List<PublicKey> keys = new ArrayList<>();
    for (Path file : files) {
      keys.add(readPublicKey(file));
    }
    if (keys.isEmpty()) {
      throw new IOException("trust-anchor directory " + dir + " holds no public key (*.pub)");
    }
    return List.copyOf(keys);
  }

  /** The key's id: {@code sha256:<hex>} of its X.509 encoding. */
  public static String keyId(PublicKey key) {
    return Bundle.sha256(key.getEncoded());
  }

  /** The PEM text of a public key, as in a {@code .pub} file. */
  public static String publicPem(PublicKey key) {
    return pem("PUBLIC KEY", key.getEncoded());
  }

  private static boolean matches(KeyPair pair) throws GeneralSecurityException {
    byte[] probe = "edgegw key pair check".getBytes(StandardCharsets.US_ASCII);
    java.security.Signature signer = java.security.Signature.getInstance(ALGORITHM);
    signer.initSign(pair.getPrivate());
    signer.update(probe);
    byte[] signature = signer.sign();
    java.security.Signature verifier = java.security.Signature.getInstance(ALGORITHM);
    verifier.initVerify(pair.getPublic());
    verifier.update(probe);
    return verifier.verify(signature);
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }

  private static byte[] block(String text, String type, Path file) throws IOException {
    Matcher m = PEM.matcher(text);
    while (m.find()) {
      if (m.group(1).equals(type)) {
        try {
          return Base64.getMimeDecoder().decode(m.group(2));
        } catch (IllegalArgumentException e) {
          throw new IOException(file + ": the " + type + " block is not base64", e);
        }
      }
    }
    throw new IOException(file + " has no '-----BEGIN " + type + "-----' block");
  }
}
