"""Knowledge base: documents in, passages out, searched by meaning and by words."""
