"""Authentication and authorisation: the login views (``views``) and the permission table (``permissions``).

Deliberately empty: importing ``portal.auth.permissions`` (as the services do) must not import
the views, which depend on the services.
"""
