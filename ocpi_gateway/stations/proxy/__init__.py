"""Driver ``proxy``: the gateway stands between stations and an existing CSMS and relays OCPP-J.

It is direct mode plus a relay, so it alone may import ``stations.direct``; otherwise the seam and below.
"""
