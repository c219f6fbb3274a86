"""Tests of issue 5: credentials handshake, partner management, session ownership, callback safety."""
