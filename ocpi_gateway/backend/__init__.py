"""Where accepted state lives: the embedded in-memory backend, or Redis for durability."""
