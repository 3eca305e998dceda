package io.edgegw.rules.config;

import java.util.List;

/** The validated content of {@code rules.yaml}: rules in file order, ids unique. */
public record RuleSet(String file, List<Rule> rules) {}
