"""The files aggregate: uploads kept in the file store (avatars, attachments, voice)."""
