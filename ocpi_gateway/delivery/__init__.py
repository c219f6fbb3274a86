"""Result delivery: POSTing async results back to the partners' response URLs."""
