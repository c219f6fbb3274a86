"""The OCPI 2.2.1 HTTP edge: models, envelope, auth, views. Knows nothing of OCPP."""
