"""Real-time presence: online users, last seen, custom status."""
