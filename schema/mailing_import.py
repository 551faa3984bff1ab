"""GraphQL shapes of the mailing clients' CSV import (docs/mailing.md, "Importing clients")."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.file_uploads import Upload

from schema.errors import NotFoundError, PermissionDeniedError, ValidationError

if TYPE_CHECKING:
    from domain.mailing.service import ImportReport


@strawberry.input
class ImportClientsInput:
    file: Upload = strawberry.field(
        description="A CSV file in UTF-8 with a header row: `phone_number`, optionally `tag` "
        "and `timezone`."
    )
    owner_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The User whose clients these become: only admins may name someone else; "
        "null: the viewer's own.",
    )


@strawberry.type(description="Why a row of the file was skipped.")
class ClientImportProblem:
    line: int = strawberry.field(description="The line the row starts on (the header is 1).")
    field: str = strawberry.field(
        description="The CSV column (`phone_number`, `tag`, `timezone`), or `row`."
    )
    message: str


@strawberry.type
class ImportClientsSuccess:
    rows: int = strawberry.field(description="The rows read (blank lines aside).")
    imported: int
    skipped: int = strawberry.field(description="The rows not imported: each has a problem.")
    problems: list[ClientImportProblem] = strawberry.field(
        description="In line order; the first 10,000 (`unlistedProblems` counts the rest)."
    )
    unlisted_problems: int

    @classmethod
    def of(cls, report: ImportReport) -> ImportClientsSuccess:
        return cls(
            rows=report.rows,
            imported=report.imported,
            skipped=report.skipped,
            problems=[
                ClientImportProblem(line=p.line, field=p.field, message=p.message)
                for p in report.problems
            ],
            unlisted_problems=report.unlisted,
        )


ImportClientsPayload = Annotated[
    ImportClientsSuccess | ValidationError | NotFoundError | PermissionDeniedError,
    strawberry.union("ImportClientsPayload"),
]
