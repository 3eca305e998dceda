package io.edgegw.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP relay on 127.0.0.1 in front of a server on 127.0.0.1, whose connections a test can cut
 * abruptly ({@link #cut()}): both ends see a reset, as when a cable is pulled or a process dies,
 * with no protocol goodbye. New connections are relayed again afterwards. Bytes pass unchanged, so
 * TLS works end to end. Threads: one virtual thread accepting, two per relayed connection.
 */
public final class TcpRelay implements AutoCloseable {

  private final ServerSocket server;
  private final int targetPort;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private TcpRelay(ServerSocket server, int targetPort) {
    this.server = server;
    this.targetPort = targetPort;
  }

  /** Starts relaying a free port of 127.0.0.1 to {@code targetPort} on 127.0.0.1. */
  public static TcpRelay to(int targetPort) {
    try {
      ServerSocket server = new ServerSocket();
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
      TcpRelay relay = new TcpRelay(server, targetPort);
      Thread.ofVirtual().name("tcp-relay-" + server.getLocalPort()).start(relay::acceptLoop);
      return relay;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on 127.0.0.1", e);
    }
  }

  /** The relay's port on 127.0.0.1. */
  public int port() {
    return server.getLocalPort();
  }

  /** Resets every relayed connection now; later connections are relayed as before. */
  public void cut() {
    for (Socket socket : sockets) {
      reset(socket);
    }
  }

  /** Stops accepting and resets every connection. */
  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      // closing anyway
    }
    cut();
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return;
      }
      Socket upstream = new Socket();
      try {
        upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 2000);
      } catch (IOException e) {
        reset(client);
        continue;
      }
      sockets.add(client);
      sockets.add(upstream);
      Thread.ofVirtual().start(() -> pump(client, upstream));
      Thread.ofVirtual().start(() -> pump(upstream, client));
    }
  }

  private void pump(Socket from, Socket to) {
    try (InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream()) {
      in.transferTo(out);
    } catch (IOException e) {
      // the other side or cut() ended it
    } finally {
      reset(from);
      reset(to);
    }
  }

  private void reset(Socket socket) {
    sockets.remove(socket);
    try {
      // Linger 0: close with a TCP reset, not an orderly FIN.
      socket.setSoLinger(true, 0);
      socket.close();
    } catch (IOException e) {
      // already closed
    }
  }
}
