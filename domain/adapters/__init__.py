"""Adapters: the implementations of domain.ports."""
