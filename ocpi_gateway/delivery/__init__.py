"""Result delivery: POSTing async results and pushes to the partners' URLs (one client, one path).

May import the ground and ``partners`` (whose URL rules it applies); nothing above.
"""
