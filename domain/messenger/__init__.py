"""The messenger aggregate (seed 001): chats, members, messages and read markers."""
