"""Calendar feeds: what a head's private agenda feed and a division's reception feed list, their
validators for conditional requests, and the secret agenda links."""
