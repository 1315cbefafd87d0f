"""The typer surface: parse, call ops, render. Nothing else lives here."""
