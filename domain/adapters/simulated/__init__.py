"""The simulated Telegram world (state, rules, Redis store, sandbox controls)."""
