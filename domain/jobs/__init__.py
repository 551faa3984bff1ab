"""Durable jobs: the record behind every task; ARQ is only the transport."""
