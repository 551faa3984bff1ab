"""The messenger aggregate (seed 001): chats, members, messages, files."""
