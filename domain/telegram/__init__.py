"""Telegram as the domain sees it: the values the gateway returns, its errors, stored accounts."""
