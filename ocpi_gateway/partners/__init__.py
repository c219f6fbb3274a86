"""OCPI partners: who they are (``parties``), which sessions they may steer (``ownership``),
where we may call them (``callbacks``). Imports the ground and ``backend`` (where partners are stored).
"""
