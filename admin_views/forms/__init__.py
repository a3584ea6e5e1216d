"""Forms of the admin screens: the workflow steps' forms, shared fields and the ajax pickers.

``fields`` holds the field types and form rules every screen shares, ``pickers`` the ajax
loaders (each asks a service for its rows), and one module per area its own forms.
"""
