package io.edgegw.ota.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgegw.bundle.Keys;
import io.edgegw.contracts.CommandResult;
import io.edgegw.contracts.Topics;
import io.edgegw.testsupport.BusObserver;
import io.edgegw.testsupport.MosquittoBroker;
import io.edgegw.testsupport.ServiceProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The management page in headless Chromium (Debian's chromium and chromium-driver) against the
 * packaged agent: a wrong token is refused, the right one shows health and the installed bundle,
 * and the restart button sends a restart command (answered on the bus).
 */
class ManagementPageProcessIT {
  @TempDir static Path work;
  static MosquittoBroker broker;
  static BusObserver bus;
  static ServiceProcess agent;
  static WebDriver browser;
  static String token;

  @BeforeAll
  static void setUp() throws Exception {
    broker = MosquittoBroker.builder().withUser("ota").withUser("test").start();
    bus = new BusObserver(broker.port(), "test", broker.password("test"), "test-web", "gw/v1/#");
    byte[] random = new byte[24];
    new SecureRandom().nextBytes(random);
    token = HexFormat.of().formatHex(random);
    Path tokenFile = work.resolve("web-token");
    Files.writeString(tokenFile, token + "\n");
    Files.setPosixFilePermissions(tokenFile, PosixFilePermissions.fromString("rw-------"));
    Keys.generate(work.resolve("keys"), "release");
    agent =
        ServiceProcess.builder(
                "ota-agent-web",
                Path.of(System.getProperty("ota.app.jar", "target/quarkus-app/quarkus-run.jar")))
            .heap("128m")
            .property("ota.state-dir", work.resolve("state").toString())
            .property("ota.registry.url", "https://127.0.0.1:1")
            .property("ota.trust.keys", work.resolve("keys/release.pub").toString())
            .property("ota.stack.project", "otaweb-empty")
            .property("ota.health.interval", "500ms")
            .property("ota.bus.port", String.valueOf(broker.port()))
            .property("ota.web.token-file", tokenFile.toString())
            .property("ota.web.export-url", "http://127.0.0.1:8082/api/v1/export?format=csv")
            .secret("OTA_BUS_PASSWORD", broker.password("ota"))
            .clearEnvironmentPrefix("OTA_")
            .start();
    agent.awaitReady();

    Path driver = Path.of("/usr/bin/chromedriver");
    assertThat(driver)
        .as("chromedriver; install the Debian package chromium-driver")
        .isExecutable();
    ChromeOptions options = new ChromeOptions();
    options.setBinary("/usr/bin/chromium");
    options.addArguments(
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage");
    browser =
        new ChromeDriver(
            new ChromeDriverService.Builder().usingDriverExecutable(driver.toFile()).build(),
            options);
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (browser != null) {
      browser.quit();
    }
    if (agent != null) {
      assertThat(agent.log()).as("the token is never logged").doesNotContain(token);
      agent.close();
    }
    if (bus != null) {
      bus.close();
    }
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  void loginShowsHealthAndTheRestartButtonSendsARestart() {
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));
    browser.get(agent.uri("/").toString());
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));

    // wrong token: refused, the main view stays hidden
    browser.findElement(By.id("token")).sendKeys("not-the-token-at-all");
    browser.findElement(By.id("login")).click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("login-error"), "refused"));
    assertThat(browser.findElement(By.id("main-view")).isDisplayed()).isFalse();

    // right token: health and bundle information shown
    browser.findElement(By.id("token")).sendKeys(token);
    browser.findElement(By.id("login")).click();
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("main-view")));
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("services"), "ota"));
    assertThat(browser.findElement(By.id("host")).getText()).contains("Disk used");
    assertThat(browser.findElement(By.id("installed")).getText()).isEqualTo("none");
    assertThat(browser.findElement(By.id("export")).getAttribute("href"))
        .isEqualTo("http://127.0.0.1:8082/api/v1/export?format=csv");

    // restart: the command reaches the agent's command path and is answered on the bus
    browser.findElement(By.id("restart-service")).sendKeys("web");
    browser.findElement(By.id("restart")).click();
    wait.until(ExpectedConditions.alertIsPresent()).accept();
    wait.until(
        ExpectedConditions.textToBePresentInElementLocated(
            By.id("restart-result"), "Restart of web requested"));
    String text = browser.findElement(By.id("restart-result")).getText();
    String id = text.substring(text.indexOf("(command ") + 9, text.length() - 1);
    CommandResult reply =
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () ->
                    bus.on(Topics.reply(id)).stream().map(r -> r.as(CommandResult.class)).toList(),
                (List<CommandResult> l) -> !l.isEmpty())
            .getFirst();
    // No stack runs in this test: podman answers that there is no such container.
    assertThat(reply.ok()).isFalse();
    assertThat(reply.reason()).contains("no container of service 'web'");
    wait.until(
        ExpectedConditions.textToBePresentInElementLocated(
            By.id("activity"), "last command " + id + " failed"));
  }
}
