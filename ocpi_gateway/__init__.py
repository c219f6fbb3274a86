"""ocpi-gateway: OCPI 2.2.1 ChargingProfiles in, OCPP SetChargingProfile & co. out."""

__version__ = "0.1.0"
