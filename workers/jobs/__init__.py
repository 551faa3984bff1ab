"""Thin jobs: take ids, open a unit of work, call one service."""
