"""What the gateway knows of charging sessions: the registry learnt from station events
(``registry``), the OCPI Session objects (``objects``) and the feed that pushes them to
partners (``feed``). Imports the ground, ``translate``, ``backend``, ``partners`` and ``delivery``.
"""
