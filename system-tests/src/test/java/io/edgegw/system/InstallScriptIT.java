package io.edgegw.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * podman/install.sh on a Debian host with systemd as PID 1: a container of the local Debian base
 * (podman/base-images.sh) with systemd, podman and sshd, booted with {@code /sbin/init}, this
 * checkout mounted read-only and the test's JDK where install.sh looks for one. The install runs as
 * on a freshly installed gateway, and the test then asks systemd, nftables, sshd and the files what
 * it did: the units enabled and valid, the OT/IT drop rules loaded by the segmentation unit, the
 * host's own Mosquitto masked so that nothing listens on the bus port before the stack, every
 * secret 0600 with its service's owner and none printed, SSH keys-only from the jumphost, the
 * ota-agent's site settings written and the agent up under systemd, the containers logging to the
 * journal and the journal (the agent's log among it) at a log server over TLS
 * (systemd-journal-remote on loopback standing in for the site's), the stack unit's Compose file
 * chosen from what the agent installed last, and the Compose file rendering with every bind source
 * present. A second install changes no secret and no setting; bad options are refused with what is
 * wrong.
 *
 * <p>The stack unit itself is not started here: the stack's images would have to be built again
 * inside this container (nested podman has no access to the host's image store); GatewayStackIT
 * runs the same Compose file on the host.
 *
 * <p>Needs root, podman with crun and debootstrap (bin/gateway test installs them), the Debian
 * mirror that this host's apt uses (for the container's packages, about 30 s), and the ota-agent
 * packaged (the reactor does that first).
 */
class InstallScriptIT {

  private static final String GATEWAY = "gw-install-it";
  private static final String REGISTRY = "https://registry.test:5000";
  private static final String JUMPHOST = "192.0.2.10";

  @TempDir Path temp;

  private final Map<String, String> env = new HashMap<>();
  private String container;

  @Test
  void installsEnablesAndHardensAGatewayHostUnderSystemdAndKeepsItsSecretsOnASecondRun()
      throws Exception {
    Path root = Script.root();
    env.put("CONTAINERS_CONF", root.resolve("podman/containers.conf").toString());
    Script.run(
            List.of(root.resolve("podman/base-images.sh").toString()),
            root,
            env,
            Duration.ofMinutes(10))
        .assertSucceeded();
    String suite =
        Script.run(
                List.of("bash", "-c", "source podman/common.sh && debian_suite"),
                root,
                env,
                Duration.ofSeconds(10))
            .assertSucceeded()
            .stdout()
            .strip();
    String image = "localhost/edgegw-test/install-host:" + suite;
    Script.run(
            List.of(
                "podman",
                "build",
                "--network",
                "host",
                "--build-arg",
                "BASE=localhost/edgegw/base:" + suite,
                "-t",
                image,
                root.resolve("system-tests/src/test/resources/install-host").toString()),
            root,
            env,
            Duration.ofMinutes(10))
        .assertSucceeded();

    // The release key the site's bundles are signed with: only its public half goes to the host.
    Path key = temp.resolve("release.key");
    Path pub = temp.resolve("release.pub");
    host("openssl", "genpkey", "-algorithm", "ed25519", "-out", key.toString());
    host("openssl", "pkey", "-in", key.toString(), "-pubout", "-out", pub.toString());
    Path notPem = temp.resolve("not-a-key.txt");
    Files.writeString(notPem, "ssh-ed25519 AAAA... not a PEM public key\n");

    Path java = Path.of(System.getProperty("java.home")).toRealPath();
    container = "edgegw-install-it-" + UUID.randomUUID().toString().substring(0, 8);
    try {
      Script.run(
              List.of(
                  "podman",
                  "run",
                  "-d",
                  "--name",
                  container,
                  "--systemd=always",
                  // systemd's sandboxing of systemd-journal-upload needs namespaces of its own.
                  "--privileged",
                  "--tmpfs",
                  "/var/lib/containers:rw,size=256m",
                  "-v",
                  root + ":/src:ro",
                  "-v",
                  temp + ":/keys:ro",
                  "-v",
                  java + ":/usr/lib/jvm/" + java.getFileName() + ":ro",
                  image,
                  "/sbin/init"),
              root,
              env,
              Duration.ofMinutes(1))
          .assertSucceeded();
      // systemd finished booting ("degraded" is fine: podman.service needs more than we give).
      // Until systemd's own socket is up, systemctl cannot even ask, and prints nothing.
      await("systemd booted in " + container)
          .atMost(Duration.ofMinutes(2))
          .pollInterval(Duration.ofMillis(500))
          .until(() ->
              List.of("running", "degraded")
                  .contains(in("systemctl is-system-running --wait || true").stdout().strip()));
      in("ip link add ot0 type veth peer name it0").assertSucceeded();
      // The site's log server: its CA, and a certificate for 127.0.0.1 signed by it.
      in("mkdir -p /tmp/pki && cd /tmp/pki && openssl req -x509 -newkey ec -pkeyopt"
              + " ec_paramgen_curve:P-256 -nodes -keyout logca.key -out logca.crt -subj /CN=log-ca"
              + " -days 2 2>/dev/null && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256"
              + " -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1 2>/dev/null"
              + " && echo subjectAltName=IP:127.0.0.1 > san.ext && openssl x509 -req -in server.csr"
              + " -CA logca.crt -CAkey logca.key -CAcreateserial -days 2 -extfile san.ext"
              + " -out server.crt 2>/dev/null")
          .assertSucceeded();

      // Bad options: refused before anything is installed, saying what is wrong.
      String common =
          "/src/podman/install.sh --gateway-id "
              + GATEWAY
              + " --cloud-host cloud.example --no-start";
      Script.Result noRegistry = in(common);
      assertThat(noRegistry.exitCode()).isEqualTo(2);
      assertThat(noRegistry.stderr()).contains("--registry and --update-key are required");
      Script.Result plain =
          in(common + " --registry http://registry.test:5000 --update-key /keys/release.pub");
      assertThat(plain.exitCode()).isEqualTo(2);
      assertThat(plain.stderr())
          .contains("--registry must be an https:// URL, got 'http://registry.test:5000'");
      Script.Result badKey =
          in(common + " --registry " + REGISTRY + " --update-key /keys/" + notPem.getFileName());
      assertThat(badKey.exitCode()).isEqualTo(2);
      assertThat(badKey.stderr()).contains("is not a PEM public key");
      Script.Result plainLogs =
          in(
              common
                  + " --registry "
                  + REGISTRY
                  + " --update-key /keys/release.pub --log-server http://127.0.0.1:19532");
      assertThat(plainLogs.exitCode()).isEqualTo(2);
      assertThat(plainLogs.stderr())
          .contains("--log-server must be an https:// URL, got 'http://127.0.0.1:19532'");
      assertThat(in("test -e /etc/edgegw").exitCode()).as("/etc/edgegw after refusals").isOne();

      String install =
          common
              + " --registry "
              + REGISTRY
              + " --update-key /keys/release.pub --ot-iface ot0 --it-iface it0 --jumphost "
              + JUMPHOST
              + " --log-server https://127.0.0.1:19532 --log-ca /tmp/pki/logca.crt";
      Script.Result first = in(install).assertSucceeded();

      // 5. The units: installed, valid, enabled.
      in("systemd-analyze verify /etc/systemd/system/edgegw-stack.service"
              + " /etc/systemd/system/edgegw-ota-agent.service"
              + " /etc/systemd/system/edgegw-segmentation.service")
          .assertSucceeded();
      for (String unit :
          List.of(
              "edgegw-stack",
              "edgegw-ota-agent",
              "edgegw-segmentation",
              "systemd-journal-upload")) {
        assertThat(in("systemctl is-enabled " + unit).stdout().strip())
            .as(unit)
            .isEqualTo("enabled");
      }

      // 4. No forwarding between OT and IT, in either direction, once the unit runs.
      in("systemctl start edgegw-segmentation").assertSucceeded();
      String rules = in("nft list table inet edgegw_segmentation").assertSucceeded().stdout();
      assertThat(rules)
          .containsPattern("iifname \"ot0\" oifname \"it0\".* drop")
          .containsPattern("iifname \"it0\" oifname \"ot0\".* drop");

      // The host's Mosquitto (installed for mosquitto_passwd) is masked: the stack's broker alone
      // listens on the bus port, and nothing does before the stack runs.
      assertThat(in("systemctl is-enabled mosquitto || true").stdout().strip()).isEqualTo("masked");
      assertThat(in("systemctl is-active mosquitto || true").stdout().strip())
          .isEqualTo("inactive");
      assertThat(in("ss -Hltn 'sport = :1883'").assertSucceeded().stdout()).isBlank();

      // 3. Secrets: every file 0600, owned by the service that reads it, none printed.
      assertThat(in("find /etc/edgegw/secrets -type f ! -perm 600").assertSucceeded().stdout())
          .as("secrets not 0600")
          .isBlank();
      assertThat(owner("/etc/edgegw/secrets/uplink.key")).isEqualTo("10001");
      assertThat(owner("/etc/edgegw/secrets/mosquitto.passwd")).isEqualTo("1883");
      assertThat(owner("/etc/edgegw/secrets/db-admin.password")).isEqualTo("70");
      assertThat(owner("/etc/edgegw/secrets/ota-agent.properties")).isEqualTo("0");
      Map<String, String> secrets = secrets();
      for (Map.Entry<String, String> s : secrets.entrySet()) {
        if (s.getKey().endsWith(".password") || s.getKey().endsWith("-token")) {
          assertThat(first.stdout() + first.stderr())
              .as("install output holds " + s.getKey())
              .doesNotContain(s.getValue());
        }
      }
      assertThat(secrets.get("gateway-id")).isEqualTo(GATEWAY);

      // SSH: keys only, from the jumphost only (sshd's effective configuration).
      String sshd = in("sshd -T -C user=root,host=x,addr=" + JUMPHOST).assertSucceeded().stdout();
      assertThat(sshd).contains("passwordauthentication no", "permitrootlogin no");
      assertThat(sshd).containsPattern("allowusers \\S*@" + JUMPHOST.replace(".", "\\."));

      // The ota-agent's site settings, then the agent itself under systemd.
      assertThat(in("cat /etc/edgegw/ota/application.properties").assertSucceeded().stdout())
          .contains("ota.registry.url=" + REGISTRY, "ota.trust.keys=/etc/edgegw/ota/trusted.pem")
          .doesNotContain("ota.bootstrap");
      assertThat(in("cat /etc/edgegw/ota/trusted.pem").assertSucceeded().stdout())
          .isEqualTo(Files.readString(pub));
      in("systemctl start edgegw-ota-agent").assertSucceeded();
      await("the ota-agent live under systemd")
          .atMost(Duration.ofMinutes(2))
          .pollInterval(Duration.ofSeconds(1))
          .until(() -> in("curl -fsS http://127.0.0.1:8085/q/health/live").exitCode() == 0);
      assertThat(in("systemctl is-active edgegw-ota-agent").stdout().strip()).isEqualTo("active");

      // The stack unit starts the bundle the agent installed last, else the stack shipped here.
      String pick =
          "/opt/edgegw/podman/stack-compose.sh /var/lib/edgegw/ota /opt/edgegw/compose/gateway.yaml";
      assertThat(in(pick).assertSucceeded().stdout().strip())
          .isEqualTo("/opt/edgegw/compose/gateway.yaml");
      in("mkdir -p /tmp/state/bundles/b7 && echo 'services: {}' > /tmp/state/bundles/b7/compose.yaml"
              + " && printf '{\\n  \"current\" : {\"version\": \"7\", \"directory\" : \"b7\"}}'"
              + " > /tmp/state/installed.json")
          .assertSucceeded();
      assertThat(
              in("/opt/edgegw/podman/stack-compose.sh /tmp/state /opt/edgegw/compose/gateway.yaml")
                  .assertSucceeded()
                  .stdout()
                  .strip())
          .isEqualTo("/tmp/state/bundles/b7/compose.yaml");
      in("rm /tmp/state/bundles/b7/compose.yaml").assertSucceeded();
      Script.Result missing = in("/opt/edgegw/podman/stack-compose.sh /tmp/state");
      assertThat(missing.exitCode()).isOne();
      assertThat(missing.stderr()).contains("names b7, but /tmp/state/bundles/b7/compose.yaml");

      // The Compose file as the stack unit runs it: every variable set, every bind source there
      // once the uplink's certificate is in.
      String rendered =
          in("set -a && . /etc/edgegw/gateway.env && set +a && cd /opt/edgegw/compose"
                  + " && podman-compose --dry-run -p edgegw -f gateway.yaml up -d 2>&1")
              .assertSucceeded()
              .stdout();
      List<String> runs = rendered.lines().filter(l -> l.startsWith("podman run")).toList();
      assertThat(runs).as(rendered).hasSizeGreaterThanOrEqualTo(6);
      assertThat(rendered).doesNotContain("${");
      List<String> sources = new ArrayList<>();
      for (String run : runs) {
        for (String part : run.split(" ")) {
          if (part.startsWith("/") && part.contains(":/")) {
            sources.add(part.substring(0, part.indexOf(':')));
          }
        }
      }
      assertThat(sources).as("bind sources in " + rendered).isNotEmpty();
      // All there but the uplink's certificate and the cloud's CA, which the installer asks for.
      assertThat(sources.stream().filter(f -> in("test -e " + f).exitCode() != 0).toList())
          .as("missing bind sources")
          .containsOnly("/etc/edgegw/secrets/uplink.crt", "/etc/edgegw/secrets/cloud-ca.crt");
      assertThat(first.stderr())
          .contains("have the cloud's CA sign /etc/edgegw/secrets/uplink.csr");
      // The installer's step, as docs/security.md gives it: the cloud's CA signs the CSR.
      in("cd /tmp && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
              + " -keyout ca.key -out ca.crt -subj /CN=cloud-ca -days 2 2>/dev/null"
              + " && openssl x509 -req -in /etc/edgegw/secrets/uplink.csr -CA ca.crt -CAkey ca.key"
              + " -CAcreateserial -days 2 -out uplink.crt 2>/dev/null"
              + " && install -m 600 -o 10001 -g 10001 uplink.crt /etc/edgegw/secrets/uplink.crt"
              + " && install -m 600 -o 10001 -g 10001 ca.crt /etc/edgegw/secrets/cloud-ca.crt")
          .assertSucceeded();
      for (String source : sources) {
        assertThat(in("test -e " + source).exitCode()).as(source + " exists").isZero();
      }
      Map<String, String> kept = secrets();

      // Logs: the containers log to the journal, and the journal goes to the log server over TLS
      // (the server verified against --log-ca), the ota-agent's among it, once the certificate is
      // in.
      assertThat(
              in("CONTAINERS_CONF=/etc/edgegw/containers.conf podman info --format"
                      + " '{{.Host.LogDriver}}'")
                  .assertSucceeded()
                  .stdout()
                  .strip())
          .isEqualTo("journald");
      in("mkdir -p /var/log/journal/remote && systemd-run --unit=test-log-server"
              + " /lib/systemd/systemd-journal-remote --listen-https=127.0.0.1:19532"
              + " --key=/tmp/pki/server.key --cert=/tmp/pki/server.crt"
              + " --output=/var/log/journal/remote/")
          .assertSucceeded();
      in("systemctl start systemd-journal-upload").assertSucceeded();
      String marker = "edgegw-install-it-" + UUID.randomUUID();
      in("logger -t edgegw-it " + marker).assertSucceeded();
      await("the journal at the log server")
          .atMost(Duration.ofMinutes(1))
          .pollInterval(Duration.ofMillis(500))
          .until(() ->
              in("journalctl -D /var/log/journal/remote -t edgegw-it --no-pager -o cat")
                  .stdout()
                  .contains(marker));
      assertThat(
              in("journalctl -D /var/log/journal/remote _SYSTEMD_UNIT=edgegw-ota-agent.service"
                      + " --no-pager -o cat")
                  .stdout())
          .as("the ota-agent's log at the log server")
          .isNotBlank();
      // The key reaches the uploader only while it runs, in its own directory.
      assertThat(in("stat -c '%a %U' /run/edgegw-journal-upload/uplink.key").stdout().strip())
          .matches("400 \\S+")
          .doesNotStartWith("400 root");

      // A second install keeps every secret and every setting the first made.
      String gatewayEnv = in("cat /etc/edgegw/gateway.env").stdout();
      String otaProps = in("cat /etc/edgegw/ota/application.properties").stdout();
      in("echo 'ota.poll-interval=PT30M' >> /etc/edgegw/ota/application.properties")
          .assertSucceeded();
      in(install).assertSucceeded();
      assertThat(generated(secrets())).isEqualTo(generated(kept));
      assertThat(in("cat /etc/edgegw/gateway.env").stdout()).isEqualTo(gatewayEnv);
      assertThat(in("cat /etc/edgegw/ota/application.properties").stdout())
          .isEqualTo(otaProps + "ota.poll-interval=PT30M\n");
    } finally {
      Script.run(
          List.of("podman", "rm", "-f", "-t", "5", container), root, env, Duration.ofMinutes(1));
    }
  }

  /** Runs {@code shell} in the host container as root. */
  private Script.Result in(String shell) {
    return Script.run(
        List.of("podman", "exec", container, "bash", "-c", shell),
        Script.root(),
        env,
        Duration.ofMinutes(3));
  }

  private void host(String... command) {
    Script.run(List.of(command), temp, env, Duration.ofSeconds(30)).assertSucceeded();
  }

  private String owner(String file) {
    return in("stat -c %u " + file).assertSucceeded().stdout().strip();
  }

  /** The secrets made once (the rest, such as the broker's password hashes, is derived again). */
  private static Map<String, String> generated(Map<String, String> secrets) {
    Map<String, String> out = new HashMap<>(secrets);
    out.keySet()
        .removeIf(f ->
            f.endsWith(".properties") || f.startsWith("mosquitto") || f.equals("cloud-ca.crt"));
    return out;
  }

  /**
   * Every regular file under /etc/edgegw/secrets: its sha256 and, when it is one short line (a
   * password, a token, the gateway id), its text.
   */
  private Map<String, String> secrets() {
    Map<String, String> out = new HashMap<>();
    String listing =
        in("cd /etc/edgegw/secrets && find . -type f | sort | while read -r f; do"
                + " if [ $(wc -c < \"$f\") -le 64 ] && [ $(wc -l < \"$f\") -le 1 ]; then"
                + " printf '%s\\t%s\\n' \"${f#./}\" \"$(cat \"$f\")\"; else"
                + " printf '%s\\t%s\\n' \"${f#./}\" \"$(sha256sum < \"$f\")\"; fi; done")
            .assertSucceeded()
            .stdout();
    for (String line : listing.lines().toList()) {
      String[] kv = line.split("\t", 2);
      out.put(kv[0], kv.length > 1 ? kv[1].strip() : "");
    }
    assertThat(out).as("files in /etc/edgegw/secrets").containsKeys("uplink.key", "gateway-id");
    return out;
  }
}
