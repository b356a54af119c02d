"""Import and export of documentation data: spreadsheets and JSON in, policy-checked exports out."""
