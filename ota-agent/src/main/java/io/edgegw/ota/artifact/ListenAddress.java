package io.edgegw.ota.artifact;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the artifact server listens: one IP address of the OT interface and a port. The point of
 * the server is "on the OT side only", so a wildcard address (which would also answer on the uplink
 * and management interfaces) and a host name (which could resolve anywhere) are refused.
 *
 * @param address the interface address, never a wildcard
 * @param port the TCP port, 1..65535
 */
public record ListenAddress(InetAddress address, int port) {

  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final Pattern FORM = Pattern.compile("(\\[[0-9A-Fa-f:.]+]|[0-9.]+):(\\d{1,5})");

  /** Refuses a wildcard address and a port out of range. */
  public ListenAddress {
    if (address.isAnyLocalAddress()) {
      throw new IllegalArgumentException(
          "the wildcard address "
              + address.getHostAddress()
              + " would serve artifacts on every interface; give the OT interface's address");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is not in 1..65535");
    }
  }

  /**
   * Reads {@code a.b.c.d:port} or {@code [v6]:port}.
   *
   * @param key the configuration key, for the message
   * @throws IllegalArgumentException naming the key, the value and the expected form
   */
  public static ListenAddress parse(String key, String value) {
    String text = value == null ? "" : value.strip();
    Matcher m = FORM.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          key
              + "='"
              + text
              + "' is not an IP address and port such as 192.168.10.1:8090 or [fd00::1]:8090"
              + " (the OT interface's address; host names and wildcards are refused)");
    }
    String host = m.group(1);
    boolean v6 = host.startsWith("[");
    if (!v6 && !IPV4.matcher(host).matches()) {
      throw new IllegalArgumentException(
          key + "='" + text + "': '" + host + "' is not an IPv4 address");
    }
    try {
      // A literal (checked above) is parsed, never looked up.
      InetAddress address = InetAddress.getByName(v6 ? host.substring(1, host.length() - 1) : host);
      return new ListenAddress(address, Integer.parseInt(m.group(2)));
    } catch (UnknownHostException | IllegalArgumentException e) {
      throw new IllegalArgumentException(key + "='" + text + "': " + e.getMessage(), e);
    }
  }

  /** As a socket address. */
  public InetSocketAddress socketAddress() {
    return new InetSocketAddress(address, port);
  }

  @Override
  public String toString() {
    String host = address.getHostAddress();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }
}
