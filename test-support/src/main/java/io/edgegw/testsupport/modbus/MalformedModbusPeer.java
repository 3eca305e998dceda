package io.edgegw.testsupport.modbus;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Modbus TCP peer on a plain {@link ServerSocket} that answers reads with scripted, malformed
 * frames ({@link MalformedReply}), so a master's handling of each protocol violation can be tested
 * over a real socket: a wrong length field, a wrong transaction id, a wrong function code, an
 * exception response, a truncated frame followed by a close or a stall. Until a reply is scripted,
 * and again after {@link #answerCorrectly()}, it answers every read with well-formed frames whose
 * registers all hold {@link #GOOD_VALUE} (coils and inputs: all on).
 *
 * <p>It listens on a free port of 127.0.0.1; each connection is served on a virtual thread.
 */
public final class MalformedModbusPeer implements AutoCloseable {

  /** Every register of a correct answer. */
  public static final int GOOD_VALUE = 0x0102;

  private final ServerSocket server;
  private final Set<Socket> clients = ConcurrentHashMap.newKeySet();
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger connections = new AtomicInteger();
  private volatile MalformedReply reply;
  private volatile boolean open = true;

  private MalformedModbusPeer() {
    try {
      server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the malformed Modbus peer", e);
    }
    Thread.ofVirtual().name("malformed-peer-accept").start(this::accept);
  }

  /** Starts a peer on a free loopback port, answering correctly. */
  public static MalformedModbusPeer start() {
    return new MalformedModbusPeer();
  }

  /** The listening port on 127.0.0.1. */
  public int port() {
    return server.getLocalPort();
  }

  /** Answers the following requests with {@code reply}, on every connection. */
  public void answerWith(MalformedReply reply) {
    this.reply = reply;
  }

  /** Answers the following requests correctly. */
  public void answerCorrectly() {
    this.reply = null;
  }

  /** Requests received so far, answered or not. */
  public int requests() {
    return requests.get();
  }

  /** Connections accepted so far. */
  public int connections() {
    return connections.get();
  }

  private void accept() {
    while (open) {
      try {
        Socket client = server.accept();
        clients.add(client);
        connections.incrementAndGet();
        Thread.ofVirtual().name("malformed-peer").start(() -> serve(client));
      } catch (IOException e) {
        if (!open) {
          return;
        }
      }
    }
  }

  private void serve(Socket client) {
    try (client) {
      DataInputStream in = new DataInputStream(client.getInputStream());
      OutputStream out = client.getOutputStream();
      boolean answering = true;
      byte[] header = new byte[7];
      while (readHeader(in, header)) {
        ByteBuffer fields = ByteBuffer.wrap(header);
        int tid = fields.getShort() & 0xFFFF;
        fields.getShort(); // protocol id
        int length = fields.getShort() & 0xFFFF;
        int unit = fields.get() & 0xFF;
        if (length < 2 || length > 254) {
          return; // not a request this peer can frame; drop the connection
        }
        byte[] pdu = new byte[length - 1];
        in.readFully(pdu);
        requests.incrementAndGet();
        if (!answering) {
          continue; // stalled: requests are read and never answered
        }
        MalformedReply scripted = reply;
        if (scripted == null) {
          out.write(correct(tid, unit, pdu));
          out.flush();
          continue;
        }
        out.write(scripted.frame(tid, unit));
        out.flush();
        switch (scripted.after()) {
          case CONTINUE -> {}
          case CLOSE -> {
            return;
          }
          case STALL -> answering = false;
        }
      }
    } catch (IOException e) {
      // The master closed or reset the connection: the expected end of a session.
    } finally {
      clients.remove(client);
    }
  }

  /** Reads a request header; false when the stream ends cleanly before one starts. */
  private static boolean readHeader(DataInputStream in, byte[] header) throws IOException {
    int first = in.read();
    if (first < 0) {
      return false;
    }
    header[0] = (byte) first;
    try {
      in.readFully(header, 1, header.length - 1);
    } catch (EOFException e) {
      return false;
    }
    return true;
  }

  /** A well-formed answer to a read of function 1-4; an exception 1 for anything else. */
  static byte[] correct(int tid, int unit, byte[] pdu) {
    int function = pdu[0] & 0xFF;
    int count = pdu.length >= 5 ? ((pdu[3] & 0xFF) << 8) | (pdu[4] & 0xFF) : 0;
    ByteBuffer data;
    switch (function) {
      case 3, 4 -> {
        data = ByteBuffer.allocate(2 + 2 * count).put((byte) function).put((byte) (2 * count));
        for (int i = 0; i < count; i++) {
          data.putShort((short) GOOD_VALUE);
        }
      }
      case 1, 2 -> {
        int bytes = (count + 7) / 8;
        data = ByteBuffer.allocate(2 + bytes).put((byte) function).put((byte) bytes);
        for (int i = 0; i < bytes; i++) {
          int left = count - 8 * i;
          data.put((byte) (left >= 8 ? 0xFF : (1 << left) - 1));
        }
      }
      default -> data = ByteBuffer.allocate(2).put((byte) (function | 0x80)).put((byte) 1);
    }
    byte[] answer = data.array();
    return ByteBuffer.allocate(7 + answer.length)
        .putShort((short) tid)
        .putShort((short) 0)
        .putShort((short) (answer.length + 1))
        .put((byte) unit)
        .put(answer)
        .array();
  }

  @Override
  public void close() {
    open = false;
    try {
      server.close();
    } catch (IOException e) {
      // Closing anyway.
    }
    for (Socket c : clients) {
      try {
        c.close();
      } catch (IOException e) {
        // Closing anyway.
      }
    }
  }
}
