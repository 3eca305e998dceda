import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;

/**
 * The JDK modules that packaged Quarkus applications use, for jlink: runs jdeps on every jar of each
 * {@code target/quarkus-app} given, one jar at a time in this JVM (jdeps refuses the whole set at
 * once, because some jars are modules whose requirements are not all present, and a JVM per jar
 * takes minutes). Prints the modules as jlink's {@code --add-modules} takes them; with {@code -v}
 * also which jars need each module, on stderr.
 *
 * <p>Run by podman/build-images.sh with the JDK's source launcher: {@code java JreModules.java
 * [-v] <quarkus-app dir>...}
 */
public final class JreModules {
  private static final Pattern DEPENDENCY = Pattern.compile("->\\s+((?:java|jdk)\\.[a-z0-9.]+)");

  private JreModules() {}

  public static void main(String[] args) throws Exception {
    boolean verbose = args.length > 0 && args[0].equals("-v");
    ToolProvider jdeps =
        ToolProvider.findFirst("jdeps").orElseThrow(() -> new IllegalStateException("no jdeps"));
    Map<String, Set<String>> users = new TreeMap<>();
    for (int i = verbose ? 1 : 0; i < args.length; i++) {
      Path app = Path.of(args[i]);
      if (!Files.isRegularFile(app.resolve("quarkus-run.jar"))) {
        System.err.println(app + " has no quarkus-run.jar; run mvn package first");
        System.exit(2);
      }
      List<Path> jars = new ArrayList<>();
      try (Stream<Path> files = Files.walk(app)) {
        files.filter(p -> p.toString().endsWith(".jar")).sorted().forEach(jars::add);
      }
      for (Path jar : jars) {
        StringWriter out = new StringWriter();
        jdeps.run(
            new PrintWriter(out),
            new PrintWriter(new StringWriter()),
            "-s",
            "--multi-release",
            String.valueOf(Runtime.version().feature()),
            "--ignore-missing-deps",
            jar.toString());
        Matcher m = DEPENDENCY.matcher(out.toString());
        while (m.find()) {
          users.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(jar.getFileName().toString());
        }
      }
    }
    if (verbose) {
      users.forEach((module, jars) -> System.err.println(module + " <- " + jars));
    }
    System.out.println(String.join(",", users.keySet()));
  }
}
