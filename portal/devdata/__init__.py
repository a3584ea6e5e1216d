"""Development data: the demo (``seed-demo``) and bulk data for performance tests (``generate-data``).

Not part of the portal's rules: nothing in ``portal.services`` imports it. The name, address
and text catalogues are data files under ``data/``, read on first use.
"""
