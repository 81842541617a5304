"""Slack's Web API as Vigía uses it: the client (no blind re-sends) and the channel-name → ID directory.
Shared by the alert sink and the weekly report's poster."""
