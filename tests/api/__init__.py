"""Tests of the OCPP-format profile API (/api/v1)."""
