"""Deployment: the nginx configuration for several app instances (see deploy/README.md)."""
