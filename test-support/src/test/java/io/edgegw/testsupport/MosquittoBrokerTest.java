package io.edgegw.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MosquittoBrokerTest {

  /** Sends an MQTT 3.1.1 CONNECT and returns the CONNACK return code (0 = accepted). */
  private static int connect(int port, String user, String password) throws IOException {
    byte[] id = "probe".getBytes(StandardCharsets.UTF_8);
    List<Byte> body = new ArrayList<>();
    for (byte b : new byte[] {0, 4, 'M', 'Q', 'T', 'T', 4}) {
      body.add(b);
    }
    int flags = 0x02 | (user != null ? 0x80 : 0) | (password != null ? 0x40 : 0);
    body.add((byte) flags);
    body.add((byte) 0);
    body.add((byte) 30);
    addString(body, id);
    if (user != null) {
      addString(body, user.getBytes(StandardCharsets.UTF_8));
    }
    if (password != null) {
      addString(body, password.getBytes(StandardCharsets.UTF_8));
    }
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      s.setSoTimeout(5_000);
      OutputStream out = s.getOutputStream();
      out.write(0x10);
      out.write(body.size());
      for (byte b : body) {
        out.write(b);
      }
      out.flush();
      DataInputStream in = new DataInputStream(s.getInputStream());
      byte[] ack = new byte[4];
      in.readFully(ack);
      assertThat(ack[0]).as("CONNACK packet type").isEqualTo((byte) 0x20);
      return ack[3];
    }
  }

  private static void addString(List<Byte> body, byte[] s) {
    body.add((byte) (s.length >> 8));
    body.add((byte) s.length);
    for (byte b : s) {
      body.add(b);
    }
  }

  @Test
  void acceptsOnlyGeneratedUsers() throws Exception {
    try (MosquittoBroker broker = MosquittoBroker.builder().withUser("bridge").start()) {
      assertThat(connect(broker.port(), null, null)).as("anonymous").isEqualTo(5);
      // Mosquitto 2 answers a wrong password with 5 (not authorized) rather than 4.
      assertThat(connect(broker.port(), "bridge", "wrong")).as("bad password").isIn(4, 5);
      assertThat(connect(broker.port(), "bridge", broker.password("bridge"))).isZero();
      assertThat(connect(broker.port(), broker.username(), broker.password())).isZero();
      assertThat(broker.password("bridge")).isNotEqualTo(broker.password());
    }
  }

  @Test
  void retainedMessagesSurviveARestartOnTheSamePort() throws Exception {
    try (MosquittoBroker broker = MosquittoBroker.start()) {
      int port = broker.port();
      run(
          "mosquitto_pub",
          "-p",
          String.valueOf(port),
          "-h",
          "127.0.0.1",
          "-u",
          broker.username(),
          "-P",
          broker.password(),
          "-q",
          "1",
          "-r",
          "-t",
          "t/kept",
          "-m",
          "still-here");
      broker.restart();
      assertThat(broker.port()).isEqualTo(port);
      String got =
          run(
              "mosquitto_sub",
              "-p",
              String.valueOf(port),
              "-h",
              "127.0.0.1",
              "-u",
              broker.username(),
              "-P",
              broker.password(),
              "-t",
              "t/kept",
              "-C",
              "1",
              "-W",
              "10");
      assertThat(got.strip()).isEqualTo("still-here");
    }
  }

  private static String run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }
}
