"""What every context stands on: errors, database routing, the local cluster, backup, audit, code lists, text and tables, language and time."""
