"""Mailing: the clients' CSV import (``importClients``), a multipart upload.

Who may import into which workspace is the service's to decide (``create_client``'s rules).
"""

from __future__ import annotations

import strawberry

from domain.errors import Invalid
from domain.mailing import service as mailing
from resolvers.mailing import told_in_api_names
from resolvers.permissions import require_viewer
from resolvers.uploads import upload_of
from schema.context import Info
from schema.mailing_import import ImportClientsInput, ImportClientsPayload, ImportClientsSuccess
from schema.relay import id_of

NO_FILE = "No file was submitted."


@strawberry.type
class MailingImportMutation:
    @strawberry.mutation(
        description="Mailing clients from a CSV file (multipart upload): each row that passes "
        "the client rules is added, every other row is reported by its line. A file wrong as a "
        "whole (not UTF-8, empty, no `phone_number` column) is a ValidationError on `file` "
        "and imports nothing; a request body over 10 MB is refused with HTTP 413."
    )
    async def import_clients(self, info: Info, input: ImportClientsInput) -> ImportClientsPayload:
        viewer = require_viewer(info.context)
        owner = None if input.owner_id is None else id_of(input.owner_id, "User", "ownerId")
        upload = await upload_of(input.file)
        if upload is None:  # a variable sent as JSON, not as a file part
            raise Invalid({"file": [NO_FILE]}, message=NO_FILE)
        with told_in_api_names():
            async with info.context.uow() as uow:
                report = await mailing.import_clients(
                    uow, actor=viewer, content=upload.content, owner_id=owner
                )
        return ImportClientsSuccess.of(report)
