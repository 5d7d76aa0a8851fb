"""Returnees as people: identity, documents, phones, screening, and recognising who came back."""
