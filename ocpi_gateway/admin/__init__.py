"""The operator's admin API: plain JSON over HTTP, guarded by ``admin.token``."""
