"""Driver ``bus``: OCPP calls travel over MQTT topics to a CSMS that answers on the bus.

``wire`` is the topic and message format, ``driver`` the request/answer matching. Imports
the seam and below, never another driver.
"""
