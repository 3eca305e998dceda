package io.edgegw.bundle;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Bundle and agent versions: strict {@code MAJOR.MINOR.PATCH}, decimal without leading zeros.
 *
 * <p>Pre-release and build suffixes are refused on purpose: "versions only go up" must have one
 * obvious meaning to an operator, and semver's pre-release ordering does not.
 */
public final class Versions {

  private static final Pattern SEMVER =
      Pattern.compile("(0|[1-9]\\d{0,8})\\.(0|[1-9]\\d{0,8})\\.(0|[1-9]\\d{0,8})");

  private Versions() {}

  /** True when {@code version} is {@code MAJOR.MINOR.PATCH}, e.g. {@code 1.4.0}. */
  public static boolean isValid(String version) {
    return version != null && SEMVER.matcher(version).matches();
  }

  /**
   * Returns {@code version} when it is valid.
   *
   * @param what what the version is of, for the message, e.g. {@code "manifest version"}
   * @throws IllegalArgumentException naming the expected form otherwise
   */
  public static String requireValid(String version, String what) {
    if (!isValid(version)) {
      throw new IllegalArgumentException(
          what + " '" + version + "' is not a version of the form MAJOR.MINOR.PATCH, e.g. 1.4.0");
    }
    return version;
  }

  /**
   * Compares two versions numerically, part by part.
   *
   * @return negative, zero or positive as {@code a} is below, equal to or above {@code b}
   * @throws IllegalArgumentException if either is not {@code MAJOR.MINOR.PATCH}
   */
  public static int compare(String a, String b) {
    int[] left = parts(a);
    int[] right = parts(b);
    for (int i = 0; i < 3; i++) {
      int c = Integer.compare(left[i], right[i]);
      if (c != 0) {
        return c;
      }
    }
    return 0;
  }

  private static int[] parts(String version) {
    Matcher m = SEMVER.matcher(requireValid(version, "version"));
    m.matches();
    return new int[] {
      Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3))
    };
  }
}
