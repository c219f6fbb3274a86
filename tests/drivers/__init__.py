"""Tests of the csms_http and bus drivers and per-station driver choice, against real counterparts."""
