"""The admin-only mark: one schema directive in the SDL, one permission class enforcing it.

Services check the same rule again (they are the authority, whatever the transport); the
directive tells client authors up front, and the class refuses before any work is done.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import strawberry
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema_directive import Location
from typing_extensions import override

from domain.errors import Unauthenticated

if TYPE_CHECKING:
    from strawberry.extensions.field_extension import FieldExtension

    from schema.context import Info


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="adminOnly",
    description="Only admins may use this field; anyone else gets a FORBIDDEN error.",
)
class AdminOnly:
    pass


class IsAdmin(BasePermission):
    message = "Only admins may do this."
    error_extensions = {"code": "FORBIDDEN"}  # noqa: RUF012 - read, never mutated
    _schema_directive: ClassVar[object | None] = AdminOnly()

    @override
    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        context = info.context
        if context.viewer is None:  # anonymous: UNAUTHENTICATED, not FORBIDDEN
            raise context.auth_error or Unauthenticated()
        return context.viewer.is_admin


def admin_only() -> list[FieldExtension]:
    """The field extensions of an admin-only field: ``extensions=admin_only()``."""
    return [PermissionExtension(permissions=[IsAdmin()], use_directives=True)]
