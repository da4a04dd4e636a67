"""Regions, pairings, suppliers, certified products and the search that fits Chinese shoppers."""
