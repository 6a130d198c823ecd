"""Portfolio import: read uploaded export files and map their columns onto patent fields."""
