package io.edgegw.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A minimal MQTT 3.1.1 client over a plain socket, enough to check CONNACK return codes, retained
 * messages and ACL decisions without an MQTT library. Every read has a deadline.
 */
final class MqttProbe implements AutoCloseable {

  static final int ACCEPTED = 0;
  static final int BAD_USER_NAME_OR_PASSWORD = 4;
  static final int NOT_AUTHORIZED = 5;

  private static final int CONNECT = 1;
  private static final int CONNACK = 2;
  private static final int PUBLISH = 3;
  private static final int PUBACK = 4;
  private static final int SUBSCRIBE = 8;
  private static final int SUBACK = 9;
  private static final int DISCONNECT = 14;

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private int nextPacketId = 1;

  private MqttProbe(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
  }

  /** Opens a TCP connection to the broker on 127.0.0.1; reads time out after {@code timeout}. */
  static MqttProbe open(int port, Duration timeout) throws IOException {
    Socket socket = new Socket();
    socket.connect(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), port), (int) timeout.toMillis());
    socket.setSoTimeout((int) timeout.toMillis());
    return new MqttProbe(socket);
  }

  /** Speaks MQTT over a socket that is already connected, e.g. a TLS one. */
  static MqttProbe over(Socket socket) {
    try {
      return new MqttProbe(socket);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Sends CONNECT (clean session) and returns the CONNACK return code. */
  int connect(String clientId, String user, String password) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    writeString(body, "MQTT");
    body.write(4); // protocol level 3.1.1
    int flags = 0x02; // clean session
    if (user != null) {
      flags |= 0x80;
    }
    if (password != null) {
      flags |= 0x40;
    }
    body.write(flags);
    body.write(0);
    body.write(60); // keep-alive seconds
    writeString(body, clientId);
    if (user != null) {
      writeString(body, user);
    }
    if (password != null) {
      writeString(body, password);
    }
    send(CONNECT << 4, body.toByteArray());
    Packet connack = receive();
    if (connack.type() != CONNACK) {
      throw new IOException("expected CONNACK, got packet type " + connack.type());
    }
    return connack.body()[1] & 0xFF;
  }

  /** Publishes at QoS 1 and waits for the PUBACK. */
  void publish(String topic, String payload, boolean retain) throws IOException {
    int packetId = nextPacketId++;
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    writeString(body, topic);
    body.write(packetId >> 8);
    body.write(packetId);
    body.write(payload.getBytes(StandardCharsets.UTF_8));
    send((PUBLISH << 4) | 0x02 | (retain ? 1 : 0), body.toByteArray());
    Packet puback = receive();
    if (puback.type() != PUBACK) {
      throw new IOException("expected PUBACK, got packet type " + puback.type());
    }
  }

  /** Subscribes at QoS 1 and returns the SUBACK code: the granted QoS or 0x80. */
  int subscribe(String filter) throws IOException {
    int packetId = nextPacketId++;
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(packetId >> 8);
    body.write(packetId);
    writeString(body, filter);
    body.write(1);
    send((SUBSCRIBE << 4) | 0x02, body.toByteArray());
    Packet suback = receive();
    if (suback.type() != SUBACK) {
      throw new IOException("expected SUBACK, got packet type " + suback.type());
    }
    return suback.body()[2] & 0xFF;
  }

  /** Waits for the next PUBLISH, acknowledges it if QoS 1, and returns it. */
  Message nextMessage() throws IOException {
    Packet packet = receive();
    if (packet.type() != PUBLISH) {
      throw new IOException("expected PUBLISH, got packet type " + packet.type());
    }
    byte[] body = packet.body();
    int topicLength = ((body[0] & 0xFF) << 8) | (body[1] & 0xFF);
    String topic = new String(body, 2, topicLength, StandardCharsets.UTF_8);
    int qos = (packet.flags() >> 1) & 0x03;
    int offset = 2 + topicLength;
    if (qos > 0) {
      send(PUBACK << 4, new byte[] {body[offset], body[offset + 1]});
      offset += 2;
    }
    String payload = new String(body, offset, body.length - offset, StandardCharsets.UTF_8);
    return new Message(topic, payload, (packet.flags() & 0x01) != 0);
  }

  /** True when the broker has closed the connection: the next read hits end of stream. */
  boolean closedByBroker() throws IOException {
    try {
      return in.read() < 0;
    } catch (IOException e) {
      return true;
    }
  }

  @Override
  public void close() throws IOException {
    try {
      if (!socket.isClosed()) {
        send(DISCONNECT << 4, new byte[0]);
      }
    } catch (IOException e) {
      // the broker may have closed the connection already
    } finally {
      socket.close();
    }
  }

  private void send(int firstByte, byte[] body) throws IOException {
    ByteArrayOutputStream packet = new ByteArrayOutputStream();
    packet.write(firstByte);
    int length = body.length;
    do {
      int digit = length % 128;
      length /= 128;
      packet.write(length > 0 ? digit | 0x80 : digit);
    } while (length > 0);
    packet.write(body);
    out.write(packet.toByteArray());
    out.flush();
  }

  private Packet receive() throws IOException {
    int first = in.read();
    if (first < 0) {
      throw new EOFException("broker closed the connection");
    }
    int length = 0;
    int multiplier = 1;
    int digit;
    do {
      digit = in.readUnsignedByte();
      length += (digit & 0x7F) * multiplier;
      multiplier *= 128;
    } while ((digit & 0x80) != 0);
    byte[] body = new byte[length];
    in.readFully(body);
    return new Packet(first >> 4, first & 0x0F, body);
  }

  private static void writeString(ByteArrayOutputStream out, String value) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    out.write(bytes.length >> 8);
    out.write(bytes.length);
    out.write(bytes, 0, bytes.length);
  }

  /** A received application message. */
  record Message(String topic, String payload, boolean retained) {}

  private record Packet(int type, int flags, byte[] body) {}
}
