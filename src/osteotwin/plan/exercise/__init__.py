"""Exercise program generator: library, safety screening, periodised program."""
