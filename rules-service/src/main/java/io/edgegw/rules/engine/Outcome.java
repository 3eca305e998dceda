package io.edgegw.rules.engine;

import io.edgegw.contracts.AlarmEvent;
import io.edgegw.contracts.AlarmState;
import io.edgegw.rules.config.Rule;

/**
 * One transition of one alarm, to be published: the retained state, the event, and the rule whose
 * actions for {@code event.transition()} are due.
 */
public record Outcome(Rule rule, AlarmState state, AlarmEvent event) {}
