"""Live SLA clocks (`sla watch`): the response clocks of open cases, kept on
durable-rules, with warnings before a target is breached and a state that
survives a restart.

Read as the pipeline:
  events.py   one input line -> a submitted case, a case event or a closing (or its problems)
  clock.py    the pure clocks of one case: batch's clocks, plus when to warn/breach/meet
  rules.py    one revision's durable-rules ruleset, compiled from its YAML, and the guardrail checks
  runtime.py  durable-rules run by us: a fixed pool of sessions per revision, each armed for its
              cases' earliest deadline; timers, actions, failures
  durable_private.py  every private name of durable-rules the runtime relies on (version pinned)
  store.py    the SQLite state: open cases, alerts decided/written, input position
  alerts.py   the alert stream (JSONL, flushed per alert)
  reader.py   reading the input in a thread (file from an offset, --follow, stdin)
  watcher.py  the loop tying them together
"""
