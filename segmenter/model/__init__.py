"""The fitted model: scoring new customers, and saving and loading it as a skops file."""
