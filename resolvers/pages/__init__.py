"""The pages tghub serves itself (server-side HTML, legacy 004's ``/admin`` and ``/logs``, and
the live dashboard), behind an admin's login: docs/invites.md, "Pages and dashboard". Their
routes are in ``routes``; the legacy read routes take the session through ``session``."""
