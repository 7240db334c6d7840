"""Pure computation on records and arrays; each stage can be replaced on its own."""
