"""Monthly statements per origin county, supplier and eastern partner: computed, issued, verified."""
