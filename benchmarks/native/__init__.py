"""Hand-written training loops, one module per framework, each importing only its framework and numpy."""
