"""The station side: how OCPP calls reach stations (drivers) and what stations tell us."""
