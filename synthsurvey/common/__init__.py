"""Stage 0: what every stage shares. The error type, checks of user input, and the one results
protocol. Imports nothing from the rest of the package."""
