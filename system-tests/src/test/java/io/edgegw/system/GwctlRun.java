package io.edgegw.system;

import io.edgegw.gwctl.Gwctl;
import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * gwctl run in-process through its picocli entry, as an operator runs it: its exit code and what it
 * printed on stdout and stderr.
 */
record GwctlRun(int exit, String out, String err) {

  static GwctlRun of(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cli = Gwctl.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exit = cli.execute(args);
    return new GwctlRun(exit, out.toString(), err.toString());
  }
}
