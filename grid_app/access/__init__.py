"""Who may do what where: users, tokens, roles and the one scope."""
