"""The companion: who it is, how it sets itself up, and how it answers."""
