"""accounts: users, roles and token sessions."""
