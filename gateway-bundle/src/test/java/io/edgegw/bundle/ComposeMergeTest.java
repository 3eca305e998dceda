package io.edgegw.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

class ComposeMergeTest {

  static ComposeMerge.Source source(String name, String text) {
    return new ComposeMerge.Source(name, text.getBytes(StandardCharsets.UTF_8));
  }

  static ComposeMerge.Source file(String path) throws Exception {
    return new ComposeMerge.Source(path, Files.readAllBytes(Path.of("..", path)));
  }

  @Test
  void theStackAndTheDemoAdditionsBecomeOneFileWithEverythingOfBoth() throws Exception {
    byte[] merged =
        ComposeMerge.merge(List.of(file("compose/gateway.yaml"), file("compose/demo.yaml")));
    ComposeFile parsed = ComposeFile.parse(merged, "merged");
    assertThat(parsed.serviceNames())
        .containsExactly(
            "mosquitto", "db", "bridge", "buffer", "rules", "uplink", "plant", "cloud");
    @SuppressWarnings("unchecked")
    Map<String, Object> top =
        (Map<String, Object>)
            new Yaml(new SafeConstructor(new LoaderOptions()))
                .load(new String(merged, StandardCharsets.UTF_8));
    assertThat(section(top, "secrets").keySet())
        .contains("uplink.key", "demo-cloud-ca.crt", "demo-cloud-broker.key");
    assertThat(section(top, "networks").keySet()).contains("ot", "bus", "it");
    // Values come through as they were: variables for the gateway to fill in, quoting kept.
    @SuppressWarnings("unchecked")
    Map<String, Object> cloud = (Map<String, Object>) section(top, "services").get("cloud");
    assertThat(cloud.get("user")).isEqualTo("1883:1883");
    assertThat(String.valueOf(cloud.get("healthcheck"))).contains("$$SYS/broker/uptime");
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> section(Map<String, Object> top, String key) {
    return (Map<String, Object>) top.get(key);
  }

  @Test
  void oneFileComesBackUnchanged() throws Exception {
    ComposeMerge.Source only = file("compose/gateway.yaml");
    assertThat(ComposeMerge.merge(List.of(only))).isEqualTo(only.text());
  }

  @Test
  void aNameDefinedTwiceIsRefusedNamingBothFiles() {
    String a = "services:\n  web:\n    image: a:1\n";
    String b = "services:\n  web:\n    image: b:1\n";
    assertThatThrownBy(() -> ComposeMerge.merge(List.of(source("a.yaml", a), source("b.yaml", b))))
        .isInstanceOf(BundleRejectedException.class)
        .hasMessageContaining("b.yaml: services.web is already defined in a.yaml");
  }

  @Test
  void aFileThatIsNoComposeFileIsRefusedByName() {
    assertThatThrownBy(() ->
            ComposeMerge.merge(
                List.of(
                    source("a.yaml", "services:\n  web:\n    image: a:1\n"),
                    source("b.yaml", "- just\n- a list\n"))))
        .isInstanceOf(BundleRejectedException.class)
        .hasMessageContaining("b.yaml");
  }
}
