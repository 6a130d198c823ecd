"""Demo data written for this project: organisations, chain points and a generated patent catalogue."""
