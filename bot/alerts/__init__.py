"""Alerting: spike keys, incidents (open, escalate, recover), operational problems, alert sinks and the
outbox worker that delivers each alert once, in order."""
