"""The chain of patent-supermarket points (网点)."""
