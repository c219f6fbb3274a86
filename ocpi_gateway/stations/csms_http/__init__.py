"""Driver ``csms_http``: an existing CSMS's REST API carries the calls (``driver``), and the
gateway keeps the profiles it set per station (``profile_book``). Imports the seam and below,
never another driver.
"""
