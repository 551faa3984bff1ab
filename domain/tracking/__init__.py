"""Online tracking: tracker accounts, Telegram users, tracked users and their status log."""
