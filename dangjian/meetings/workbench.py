"""Workbench items of the meetings app (filled in below once services exist)."""
