"""Readers and writers of outside formats; nothing else lives here."""
