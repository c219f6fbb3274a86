"""The core flow: from an accepted request to a station call and a delivered result.

``steering`` admits OCPI requests, ``jobs`` and ``ocpp_jobs`` run them, ``worker`` drains the
queue, ``pushes`` sends ActiveChargingProfile updates, ``outcomes`` stores results,
``cpo_levers`` the operator's limits, ``handshake`` the credentials flow, ``history`` the
status page's memory. May import the ground, ``translate``, ``backend``, ``partners``,
``delivery``, ``sessions`` and the ``stations`` seam (``stations.driver``); never an edge or a driver.
"""
