package io.edgegw.testsupport;

import io.edgegw.testsupport.ModbusTcpSimulator.Fault;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The public face of a {@link ModbusTcpSimulator}: accepts Modbus TCP clients on 127.0.0.1, reads
 * their MBAP frames, and either forwards each request to the j2mod slave behind it or applies the
 * current {@link Fault}.
 *
 * <p>All clients share one upstream connection, and one request at a time is exchanged on it under
 * the simulator's update lock. That keeps j2mod to a single handler thread however many clients
 * connect, and makes multi-word test updates atomic with respect to requests. Threads: one virtual
 * thread accepting, one virtual thread per open client connection.
 */
final class FaultInjectingProxy implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(FaultInjectingProxy.class.getName());
  private static final int UPSTREAM_CONNECT_TIMEOUT_MS = 2_000;
  // j2mod answers from memory at once; a longer wait means the slave is broken.
  private static final int UPSTREAM_READ_TIMEOUT_MS = 5_000;
  private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

  private final ServerSocket server;
  private final int upstreamPort;
  private final ReentrantLock exchangeLock;
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong connections = new AtomicLong();
  private final Set<Session> sessions = ConcurrentHashMap.newKeySet();
  private final Thread acceptor;
  private volatile Fault fault = Fault.none();
  private volatile boolean closed;

  // Guarded by exchangeLock.
  private Socket upstream;
  private DataInputStream upstreamIn;
  private OutputStream upstreamOut;

  private FaultInjectingProxy(ServerSocket server, int upstreamPort, ReentrantLock exchangeLock) {
    this.server = server;
    this.upstreamPort = upstreamPort;
    this.exchangeLock = exchangeLock;
    this.acceptor =
        Thread.ofVirtual()
            .name("modbus-proxy-" + server.getLocalPort() + "-accept")
            .unstarted(this::acceptLoop);
  }

  /**
   * Listens on an ephemeral port of 127.0.0.1 and forwards to the slave on {@code upstreamPort}.
   */
  static FaultInjectingProxy start(int upstreamPort, ReentrantLock exchangeLock)
      throws IOException {
    ServerSocket server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    FaultInjectingProxy proxy = new FaultInjectingProxy(server, upstreamPort, exchangeLock);
    proxy.acceptor.start();
    return proxy;
  }

  int port() {
    return server.getLocalPort();
  }

  void setFault(Fault fault) {
    this.fault = Objects.requireNonNull(fault, "fault");
  }

  Fault fault() {
    return fault;
  }

  long requestCount() {
    return requests.get();
  }

  long connectionCount() {
    return connections.get();
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        if (!closed) {
          LOG.log(System.Logger.Level.WARNING, "proxy accept failed on port " + port(), e);
        }
        return;
      }
      connections.incrementAndGet();
      Session session = new Session(client);
      sessions.add(session);
      session.start();
      if (closed) {
        session.close();
      }
    }
  }

  private void serve(Session session) {
    Socket client = session.socket;
    try (client) {
      client.setTcpNoDelay(true);
      DataInputStream in = new DataInputStream(new BufferedInputStream(client.getInputStream()));
      OutputStream out = new BufferedOutputStream(client.getOutputStream());
      while (!closed) {
        MbapFrame request = MbapFrame.read(in);
        if (request == null) {
          return;
        }
        requests.incrementAndGet();
        Fault current = fault;
        switch (current) {
          case Fault.None none -> out.write(exchange(request));
          case Fault.Delay delay -> {
            Thread.sleep(delay.delay());
            out.write(exchange(request));
          }
          case Fault.ExceptionResponse exception ->
              out.write(request.exceptionReply(exception.code()).encode());
          case Fault.Drop drop -> {
            return;
          }
          case Fault.Silent silent -> {
            // swallowed: the client waits for an answer that never comes
          }
        }
        out.flush();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      if (!closed && !(e instanceof SocketException) && !(e instanceof EOFException)) {
        LOG.log(System.Logger.Level.DEBUG, "proxy client connection ended", e);
      }
    } finally {
      sessions.remove(session);
    }
  }

  private byte[] exchange(MbapFrame request) throws IOException {
    exchangeLock.lock();
    try {
      if (upstream == null) {
        connectUpstream();
      }
      upstreamOut.write(request.encode());
      upstreamOut.flush();
      MbapFrame reply = MbapFrame.read(upstreamIn);
      if (reply == null) {
        throw new EOFException("the j2mod slave closed the upstream connection");
      }
      return reply.encode();
    } catch (IOException e) {
      closeUpstream();
      throw e;
    } finally {
      exchangeLock.unlock();
    }
  }

  private void connectUpstream() throws IOException {
    Socket socket = new Socket();
    try {
      socket.connect(
          new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort),
          UPSTREAM_CONNECT_TIMEOUT_MS);
      socket.setTcpNoDelay(true);
      socket.setSoTimeout(UPSTREAM_READ_TIMEOUT_MS);
      upstreamIn = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
      upstreamOut = new BufferedOutputStream(socket.getOutputStream());
      upstream = socket;
    } catch (IOException e) {
      socket.close();
      throw e;
    }
  }

  private void closeUpstream() {
    Socket socket = upstream;
    upstream = null;
    upstreamIn = null;
    upstreamOut = null;
    if (socket != null) {
      try {
        socket.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
  }

  /** Stops accepting, closes every client connection and the upstream connection. */
  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      // closing anyway
    }
    for (Session session : sessions) {
      session.close();
    }
    exchangeLock.lock();
    try {
      closeUpstream();
    } finally {
      exchangeLock.unlock();
    }
    join(acceptor);
    for (Session session : sessions) {
      join(session.thread);
    }
  }

  private static void join(Thread thread) {
    try {
      thread.join(CLOSE_WAIT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** One client connection and the virtual thread serving it. */
  private final class Session {
    private final Socket socket;
    private final Thread thread;

    Session(Socket socket) {
      this.socket = socket;
      this.thread =
          Thread.ofVirtual()
              .name("modbus-proxy-" + port() + "-client-" + socket.getPort())
              .unstarted(() -> serve(this));
    }

    void start() {
      thread.start();
    }

    void close() {
      try {
        socket.close();
      } catch (IOException e) {
        // closing anyway
      }
      thread.interrupt();
    }
  }
}
