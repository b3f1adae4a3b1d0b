"""A ring-road simulation kept in its own repository, with its own messages."""
