package io.edgegw.testsupport;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A Modbus TCP peer that answers read-holding-registers requests with deliberately malformed
 * frames, for testing that a master turns each into an error and never into wrong data or a hang.
 * In {@link Mischief#NONE} it answers correctly: every register holds {@link #VALUE}.
 */
public final class HostileModbusPeer implements AutoCloseable {

  /** The register value of a correct answer. */
  public static final short VALUE = 0x0102;

  /** What is wrong with the answer. */
  public enum Mischief {
    /** A correct answer. */
    NONE,
    /** The transaction id of the answer is not the request's. */
    WRONG_TRANSACTION_ID,
    /** The answer carries another function code (4 for a request of 3). */
    WRONG_FUNCTION,
    /** The byte count promises all registers, the frame carries half of them. */
    SHORT_BYTE_COUNT,
    /** The MBAP length promises 200 bytes; 8 follow and the connection stays open. */
    LENGTH_LIES,
    /** Half a frame, then the connection closes. */
    TRUNCATED,
    /** Sixteen random bytes instead of a frame. */
    GARBAGE,
    /** The answer names another unit id. */
    WRONG_UNIT,
    /** An exception answer with code 4 (slave device failure). */
    EXCEPTION
  }

  private final ServerSocket server;
  private final Set<Socket> clients = ConcurrentHashMap.newKeySet();
  private final Random random = new Random(7);
  private volatile Mischief mischief = Mischief.NONE;
  private volatile boolean open = true;

  private HostileModbusPeer() {
    try {
      server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the hostile peer", e);
    }
    Thread.ofVirtual().name("hostile-peer-accept").start(this::accept);
  }

  /** Starts a peer on a free loopback port. */
  public static HostileModbusPeer start() {
    return new HostileModbusPeer();
  }

  /** The listening port on 127.0.0.1. */
  public int port() {
    return server.getLocalPort();
  }

  /** Sets how the following requests are answered. */
  public void setMischief(Mischief mischief) {
    this.mischief = mischief;
  }

  private void accept() {
    while (open) {
      try {
        Socket client = server.accept();
        clients.add(client);
        Thread.ofVirtual().name("hostile-peer").start(() -> serve(client));
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
      MbapFrame request;
      while ((request = MbapFrame.read(in)) != null) {
        if (!answer(request, out)) {
          return;
        }
      }
    } catch (IOException e) {
      // The master gave up on the connection; that is the expected end.
    } finally {
      clients.remove(client);
    }
  }

  /** Writes the answer; false when the connection is to be closed. */
  private boolean answer(MbapFrame request, OutputStream out) throws IOException {
    byte[] pdu = request.pdu();
    int count = pdu.length >= 5 ? ((pdu[3] & 0xFF) << 8) | (pdu[4] & 0xFF) : 1;
    ByteBuffer data = ByteBuffer.allocate(2 + 2 * count);
    data.put(pdu[0]).put((byte) (2 * count));
    for (int i = 0; i < count; i++) {
      data.putShort(VALUE);
    }
    byte[] good = data.array();
    int tid = request.transactionId();
    int unit = request.unitId();
    switch (mischief) {
      case NONE -> out.write(frame(tid, unit, good));
      case WRONG_TRANSACTION_ID -> out.write(frame((tid + 1) & 0xFFFF, unit, good));
      case WRONG_FUNCTION -> {
        good[0] = (byte) (pdu[0] == 4 ? 3 : 4);
        out.write(frame(tid, unit, good));
      }
      case SHORT_BYTE_COUNT -> {
        byte[] half = java.util.Arrays.copyOf(good, 2 + count);
        out.write(frame(tid, unit, half));
      }
      case LENGTH_LIES -> {
        byte[] f = frame(tid, unit, java.util.Arrays.copyOf(good, 2));
        f[4] = 0;
        f[5] = (byte) 200;
        out.write(f);
        out.write(new byte[] {1, 2, 3, 4});
      }
      case TRUNCATED -> {
        byte[] f = frame(tid, unit, good);
        out.write(f, 0, f.length / 2);
        out.flush();
        return false;
      }
      case GARBAGE -> {
        byte[] junk = new byte[16];
        random.nextBytes(junk);
        out.write(junk);
      }
      case WRONG_UNIT -> out.write(frame(tid, (unit + 1) & 0xFF, good));
      case EXCEPTION -> out.write(frame(tid, unit, new byte[] {(byte) (pdu[0] | 0x80), 4}));
    }
    out.flush();
    return true;
  }

  private static byte[] frame(int tid, int unit, byte[] pdu) {
    return ByteBuffer.allocate(7 + pdu.length)
        .putShort((short) tid)
        .putShort((short) 0)
        .putShort((short) (pdu.length + 1))
        .put((byte) unit)
        .put(pdu)
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
