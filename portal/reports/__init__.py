"""Report layouts and analyses (each report kind in its own module)."""
