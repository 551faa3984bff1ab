"""Entities of the files aggregate."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column

from domain.files.rules import FileKind
from domain.orm import Base


class StoredFile(Base):
    """What the file store holds: served at ``/media/<key>`` with this content type."""

    __tablename__ = "stored_files"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    kind: Mapped[FileKind] = mapped_column(
        Enum(FileKind, name="file_kind", values_callable=lambda e: [m.value for m in e])
    )
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
