"""Ground: pure value types every layer shares: the OCPI 2.2.1 objects (``ocpi``) and station
password hashes (``passwords``). No I/O; imports only the other ground modules.
"""
