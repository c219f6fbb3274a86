"""Edge: operations endpoints (``/health``, ``/ready``, ``/metrics``) for load balancers and Prometheus.

May import the ground and the app keys; never another edge.
"""
