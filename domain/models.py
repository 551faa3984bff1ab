"""Every aggregate's model, imported so ``Base.metadata`` is complete (Alembic, tests)."""

from domain.accounts.model import AuthSession, User
from domain.orm import Base

__all__ = ["AuthSession", "Base", "User"]
