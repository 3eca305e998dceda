package io.edgegw.testsupport.badinput;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One edit of a YAML text, the way files get broken by hand, by merges and by tools: a line
 * dropped, doubled, moved or re-indented, a value replaced by a hostile one, text inserted or cut
 * off. Positions are fractions (0..1) of the text, so an edit applies to any file; a property test
 * generates the fields and {@link #apply} is deterministic, so a failing edit shrinks and replays.
 *
 * @param kind which edit, any int (taken modulo the number of kinds)
 * @param at where, 0..1 of the lines (or characters)
 * @param other a second position or an amount, 0..1
 * @param fragment the text inserted or put in place of a value
 */
public record YamlEdit(int kind, double at, double other, String fragment) {

  /** Values that break YAML or the types a loader expects. */
  public static final List<String> HOSTILE_VALUES =
      List.of(
          "-1",
          "0",
          "99999999999999999999",
          "1e999",
          "1.5",
          "0x10",
          "abc",
          "''",
          "null",
          "~",
          "yes",
          "[1, 2]",
          "{ a: 1 }",
          "[",
          "{",
          "\"unterminated",
          "'",
          "*anchor",
          "&anchor 1",
          "<<: { a: 1 }",
          "!!binary AAAA",
          "!!java.io.File /etc/passwd",
          "|",
          ">",
          "- 1",
          "@",
          "%TAG",
          "\t",
          "\u0000",
          "\uFEFF",
          "---",
          "...",
          "#",
          "é",
          "1s",
          "-5s",
          "1h",
          "0ms",
          "10 fortnights");

  /** The text after the edit. */
  public String apply(String text) {
    List<String> lines = new ArrayList<>(Arrays.asList(text.split("\n", -1)));
    int i = index(at, lines.size());
    int j = index(other, lines.size());
    switch (Math.floorMod(kind, 8)) {
      case 0 -> lines.remove(i);
      case 1 -> lines.add(i, lines.get(i));
      case 2 -> {
        String moved = lines.remove(i);
        lines.add(Math.min(j, lines.size()), moved);
      }
      case 3 -> {
        String line = lines.get(i);
        int shift = (int) (other * 6) - 3;
        lines.set(i, shift >= 0 ? " ".repeat(shift) + line : line.replaceFirst("^ {1,3}", ""));
      }
      case 4 -> lines.set(i, replaceValue(lines.get(i)));
      case 5 -> {
        String line = lines.get(i);
        int c = index(other, line.length() + 1);
        lines.set(i, line.substring(0, c) + fragment + line.substring(c));
      }
      case 6 -> {
        int c = index(other, text.length() + 1);
        return text.substring(0, c);
      }
      default -> {
        String line = lines.get(i);
        String indent = line.substring(0, line.length() - line.stripLeading().length());
        lines.add(i, indent + "bogus" + (int) (other * 10) + ": " + fragment);
      }
    }
    return String.join("\n", lines);
  }

  /** The line with the value after its first {@code key:} replaced, or the fragment appended. */
  private String replaceValue(String line) {
    int colon = line.indexOf(": ");
    if (colon < 0) {
      return line + fragment;
    }
    int comment = line.indexOf(" #", colon);
    return line.substring(0, colon + 2) + fragment + (comment < 0 ? "" : line.substring(comment));
  }

  private static int index(double fraction, int size) {
    return Math.max(0, Math.min(size - 1, (int) (fraction * size)));
  }
}
