"""Telegram gateway adapters (Telethon and the simulated world); only workers import them."""
